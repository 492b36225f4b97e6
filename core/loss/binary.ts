/**
 * Binary cross-entropy on probabilities and on logits (`torch.nn.BCELoss`,
 * `torch.nn.BCEWithLogitsLoss`).
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import { add, affine, div, log, mul, neg, scale, sub } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireBroadcastable, requireSameShape } from "./check.ts";
import { clampMin, isEqual, softplus, withGradient } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link binaryCrossEntropy}. */
export interface BceOptions {
  /** Rescaling weight of each element, broadcast to the input's shape. */
  weight?: Tensor | null;
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BceWithLogitsOptions extends BceOptions {
  /** Weight of the positive term, broadcast to the input's shape (one per class, `[C]`). */
  posWeight?: Tensor | null;
}

// max(log x, −100) for x ≥ 0, finite at x = 0 (where log x = −∞).
function clampedLog(x: Tensor): Tensor {
  const zero = isEqual(x, 0);
  return clampMin(sub(log(add(x, zero)), scale(zero, 100)), -100);
}

/**
 * `−w·(y·log x + (1 − y)·log(1 − x))` for probabilities `x`, each log clamped at −100 as
 * PyTorch does. The input gradient is PyTorch's `w·(x − y) / max(x·(1 − x), 1e-12)`,
 * finite where `x` is exactly 0 or 1; targets get the gradient of the clamped formula.
 * @example
 * ```ts
 * import { binaryCrossEntropy, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = binaryCrossEntropy(tensor(b, [0.8, 0], [2]), tensor(b, [1, 1], [2]), {
 *   reduction: "none",
 * });
 * console.log(await loss.toArray()); // ≈ [0.2231, 100]
 * ```
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: BceOptions = {},
): Tensor {
  const { weight = null, reduction = "mean" } = options;
  requireSameShape("binaryCrossEntropy", { input, target });
  requireBroadcastable("binaryCrossEntropy", "weight", weight, input.shape);
  const [logX, log1mX, slope] = noGrad(() => {
    const oneMinusX = affine(input, -1, 1);
    const g = div(sub(input, target), clampMin(mul(input, oneMinusX), 1e-12));
    return [clampedLog(input), clampedLog(oneMinusX), weight ? mul(g, weight) : g];
  });
  const unweighted = neg(add(mul(target, logX), mul(affine(target, -1, 1), log1mX)));
  const losses = withGradient(weight ? mul(unweighted, weight) : unweighted, input, slope);
  return reduce(losses, reduction);
}

/**
 * `w·((1 − y)·x + (1 + (p − 1)·y)·log(1 + e⁻ˣ))` for logits `x`, positive weight `p`:
 * PyTorch's stable form, finite for any logit.
 * @example
 * ```ts
 * import { binaryCrossEntropyWithLogits, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = binaryCrossEntropyWithLogits(tensor(b, [200, -200], [2]), tensor(b, [1, 1], [2]));
 * console.log(await loss.toArray()); // [100]
 * ```
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor {
  const { weight = null, posWeight = null, reduction = "mean" } = options;
  const loss = "binaryCrossEntropyWithLogits";
  requireSameShape(loss, { input, target });
  requireBroadcastable(loss, "weight", weight, input.shape);
  requireBroadcastable(loss, "posWeight", posWeight, input.shape);
  const positive = softplus(neg(input));
  const logWeight = posWeight ? affine(mul(affine(posWeight, 1, -1), target), 1, 1) : null;
  const losses = add(
    mul(affine(target, -1, 1), input),
    logWeight ? mul(logWeight, positive) : positive,
  );
  return reduce(weight ? mul(losses, weight) : losses, reduction);
}
