/**
 * Cross-entropy over class logits with PyTorch's arguments and exact formulas
 * (`torch.nn.CrossEntropyLoss` with class-index targets).
 *
 * @module
 */

import type { CrossEntropySpec, Storage } from "../backend.ts";
import { ShapeError } from "../errors.ts";
import { apply, type OpDef } from "../ops.ts";
import { Tensor } from "../tensor.ts";
import type { Reduction } from "./reduction.ts";

/** Options of {@link crossEntropy}, named as in PyTorch. */
export interface CrossEntropyOptions {
  /** Per-class rescaling weights `[C]`. */
  weight?: Tensor | null;
  /** Default `mean`: the weighted mean divides by the sum of the targets' weights. */
  reduction?: Reduction;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target becomes (1−ε)·one-hot + ε/C (default 0). */
  labelSmoothing?: number;
}

/**
 * Loss of logits `[N, C]` against class indices `[N]` (stored as f32 integers):
 * `ℓᵢ = −w[yᵢ]·((1−ε)·log pᵢ[yᵢ] + ε/C·Σ_c w_c/w[yᵢ]·log pᵢ[c])`, with ignored targets zero.
 * One fused backend op forward and one backward (`Backend.softmaxCrossEntropy`).
 * @example
 * ```ts
 * import { createCpuBackend, crossEntropy, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = crossEntropy(tensor(b, [2, 0, 0, 1], [2, 2]), tensor(b, [0, 1], [2]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.2201"
 * ```
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  return scaledCrossEntropy(logits, target, options, 1);
}

/**
 * {@link crossEntropy} times `factor`, folded into the fused op (a training objective's
 * division by the global batch costs no extra pass).
 *
 * @example
 * ```ts
 * import { createCpuBackend, tensor } from "../../mod.ts";
 * import { scaledCrossEntropy } from "./cross_entropy.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [2, 0, 0, 1], [2, 2]), t = tensor(b, [0, 1], [2]);
 * const loss = scaledCrossEntropy(x, t, { reduction: "sum" }, 0.5);
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.2201"
 * ```
 */
export function scaledCrossEntropy(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyOptions,
  factor: number,
): Tensor {
  const { weight = null, reduction = "mean", ignoreIndex = -100, labelSmoothing = 0 } = options;
  if (
    logits.shape.length !== 2 || target.shape.length !== 1 || target.shape[0] !== logits.shape[0]
  ) {
    throw new ShapeError(
      "crossEntropy",
      `expected logits [N, C] and targets [N], got [${logits.shape}] and [${target.shape}]`,
    );
  }
  const [n, c] = logits.shape;
  if (weight && (weight.shape.length !== 1 || weight.shape[0] !== c)) {
    throw new ShapeError("crossEntropy", `weight must be [${c}], got [${weight.shape}]`);
  }
  const spec: CrossEntropySpec = {
    rows: n,
    cols: c,
    ignoreIndex,
    labelSmoothing,
    reduction,
    scale: factor,
  };
  return apply(
    "crossEntropy",
    fusedCrossEntropy(spec, weight?.storage ?? null),
    [logits, target],
    undefined,
  );
}

/**
 * The op of one fused cross-entropy: the backend's single-pass loss, whose saved totals
 * (the weight sum that `mean` divided by) its gradient reads.
 */
function fusedCrossEntropy(spec: CrossEntropySpec, weight: Storage | null): OpDef<undefined> {
  let totals: Storage;
  return {
    forward([logits, target]) {
      const b = logits.backend;
      totals = b.softmaxCrossEntropy(logits.storage, target.storage, weight, spec);
      return spec.reduction === "none"
        ? { storage: totals, shape: [spec.rows] }
        : { storage: b.view(totals, 0, 1), shape: [] };
    },
    vjp(g, _y, [logits, target]) {
      const b = logits.backend;
      const gx = b.softmaxCrossEntropyBackward(
        logits.storage,
        target.storage,
        weight,
        totals,
        g.storage,
        spec,
      );
      return [new Tensor(b, gx, logits.shape), null];
    },
  };
}
