/**
 * Focal losses (Lin et al., 2017): cross-entropy scaled by `(1 − p)^γ` so that confident,
 * correct predictions count less. Binary on sigmoids, exactly
 * `torchvision.ops.sigmoid_focal_loss`; multi-class on softmax.
 *
 * @module
 */

import { add, affine, exp, logSoftmax, mul, scale, sigmoid, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireArgument, requireClassTargets, requireSameShape } from "./check.ts";
import { binaryCrossEntropyWithLogits } from "./binary.ts";
import { nllLoss } from "./nll.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link sigmoidFocalLoss}, torchvision's names and defaults. */
export interface SigmoidFocalOptions {
  /** Weight of positives in (0, 1), negatives get 1 − α; a negative value disables it (default 0.25). */
  alpha?: number;
  /** Focusing exponent γ ≥ 0 (default 2). */
  gamma?: number;
  /** Default `none`, as in torchvision. */
  reduction?: Reduction;
}

/** Options of {@link focalLoss}. */
export interface FocalOptions {
  /** Scalar factor α (default 1). */
  alpha?: number;
  /** Focusing exponent γ ≥ 0 (default 2); 0 gives {@link crossEntropy}'s loss times α. */
  gamma?: number;
  /** Per-class weights `[C]`; the mean divides by the sum of the targets' weights. */
  weight?: Tensor | null;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
  /** Default `mean`. */
  reduction?: Reduction;
}

// (1 − p)^γ, left out for γ = 0 (PyTorch's pow gives that power a zero gradient even at p = 1).
function modulate(oneMinusP: Tensor, gamma: number, loss: Tensor): Tensor {
  return gamma === 0 ? loss : mul(unary("pow", oneMinusP, gamma), loss);
}

/**
 * `α_t·(1 − p_t)^γ·BCE(x, y)` with `p = σ(x)`, `p_t = p·y + (1 − p)·(1 − y)` and
 * `α_t = α·y + (1 − α)·(1 − y)` (`torchvision.ops.sigmoid_focal_loss`).
 * @example
 * ```ts
 * import { createCpuBackend, sigmoidFocalLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = sigmoidFocalLoss(tensor(b, [0], [1]), tensor(b, [1], [1]));
 * console.log((await loss.toArray())[0].toFixed(5)); // "0.04332"
 * ```
 */
export function sigmoidFocalLoss(
  input: Tensor,
  target: Tensor,
  options: SigmoidFocalOptions = {},
): Tensor {
  const { alpha = 0.25, gamma = 2, reduction = "none" } = options;
  requireSameShape("sigmoidFocalLoss", { input, target });
  requireArgument("sigmoidFocalLoss", "gamma", gamma >= 0, `must be ≥ 0, got ${gamma}`);
  const p = sigmoid(input);
  const notTarget = affine(target, -1, 1);
  const pt = add(mul(p, target), mul(affine(p, -1, 1), notTarget));
  const ce = binaryCrossEntropyWithLogits(input, target, { reduction: "none" });
  const loss = modulate(affine(pt, -1, 1), gamma, ce);
  if (alpha < 0) return reduce(loss, reduction);
  const alphaT = add(scale(target, alpha), scale(notTarget, 1 - alpha));
  return reduce(mul(alphaT, loss), reduction);
}

/**
 * `−α·w[y]·(1 − p_y)^γ·log p_y` with `p = softmax(x)` for logits `[N, C]` and class
 * indices `[N]`, reduced like {@link crossEntropy} (weighted mean, ignored targets left out).
 * @example
 * ```ts
 * import { createCpuBackend, focalLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = focalLoss(tensor(b, [0, 0], [1, 2]), tensor(b, [1], [1]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.1733"
 * ```
 */
export function focalLoss(logits: Tensor, target: Tensor, options: FocalOptions = {}): Tensor {
  const { alpha = 1, gamma = 2, weight = null, ignoreIndex = -100, reduction = "mean" } = options;
  requireClassTargets("focalLoss", logits, target);
  requireArgument("focalLoss", "gamma", gamma >= 0, `must be ≥ 0, got ${gamma}`);
  const logp = logSoftmax(logits);
  const focal = modulate(affine(exp(logp), -1, 1), gamma, logp);
  return nllLoss(scale(focal, alpha), target, { weight, ignoreIndex, reduction });
}
