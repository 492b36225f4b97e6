/**
 * Cross-entropy against class probabilities (`torch.nn.CrossEntropyLoss` with a float
 * target of the input's shape).
 *
 * @module
 */

import { affine, logSoftmax, mul, neg, reshape, scale, sum } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import { requireSameShape, requireShape } from "./check.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link crossEntropyProbs}, named as in PyTorch. */
export interface CrossEntropyProbsOptions {
  /** Per-class rescaling weights `[C]`. */
  weight?: Tensor | null;
  /** Default `mean`: divides by N whatever the weights (unlike class-index targets). */
  reduction?: Reduction;
  /** ε in [0, 1]: the target becomes (1−ε)·target + ε/C (default 0). */
  labelSmoothing?: number;
}

/**
 * `ℓᵢ = −Σ_c w_c·y[i, c]·log softmax(x)[i, c]` for logits and probabilities `[N, C]`.
 * @example
 * ```ts
 * import { createCpuBackend, crossEntropyProbs, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = crossEntropyProbs(tensor(b, [0, 0], [1, 2]), tensor(b, [0.5, 0.5], [1, 2]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.6931"
 * ```
 */
export function crossEntropyProbs(
  logits: Tensor,
  target: Tensor,
  options: CrossEntropyProbsOptions = {},
): Tensor {
  const { weight = null, reduction = "mean", labelSmoothing = 0 } = options;
  requireSameShape("crossEntropyProbs", { logits, target });
  if (logits.shape.length !== 2) {
    throw new ShapeError("crossEntropyProbs", `expected logits [N, C], got [${logits.shape}]`);
  }
  const [n, c] = logits.shape;
  requireShape("crossEntropyProbs", "weight", weight, [c]);
  const smoothed = labelSmoothing > 0
    ? affine(target, 1 - labelSmoothing, labelSmoothing / c)
    : target;
  const terms = mul(logSoftmax(logits), weight ? mul(smoothed, reshape(weight, [1, c])) : smoothed);
  if (reduction === "mean") return scale(neg(sum(terms)), 1 / n);
  return reduce(neg(sum(terms, 1)), reduction);
}
