/**
 * Cross-entropy over class logits with PyTorch's arguments and exact formulas
 * (`torch.nn.CrossEntropyLoss` with class-index targets).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { add, div, expand, gather, logSoftmax, mul, neg, reshape, scale, sum } from "../ops.ts";
import { full, Tensor } from "../tensor.ts";
import { withoutIgnored } from "./class_index.ts";
import { reduce, type Reduction } from "./reduction.ts";

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
  const b = logits.backend;
  const idx = withoutIgnored(target, c, ignoreIndex);
  const classWeights = weight ?? full(b, [c], 1);
  const rowWeights = expand(reshape(classWeights, [1, c]), [n, c]);
  const targetWeight = gather(rowWeights, idx); // w[yᵢ], 0 where ignored
  const logp = logSoftmax(logits);
  let losses = neg(mul(gather(logp, idx), targetWeight));
  if (labelSmoothing > 0) {
    // Σ_c w_c·log p[i, c], gathered at the target so that ignored rows contribute 0 and get
    // no gradient (multiplying by a 0/1 mask would turn an infinite upstream gradient into NaN).
    const weighted = expand(reshape(sum(mul(logp, rowWeights), 1), [n, 1]), [n, c]);
    const smooth = neg(gather(weighted, idx));
    losses = add(scale(losses, 1 - labelSmoothing), scale(smooth, labelSmoothing / c));
  }
  if (reduction === "mean") return div(sum(losses), sum(targetWeight));
  return reduce(losses, reduction);
}
