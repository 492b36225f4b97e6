/**
 * Regression losses on `input − target`: L1, smooth L1, Huber (`torch.nn.L1Loss`,
 * `SmoothL1Loss`, `HuberLoss`), log-cosh and the quantile (pinball) loss.
 *
 * @module
 */

import { add, affine, exp, log, neg, relu, scale, sub, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireArgument, requireSameShape } from "./check.ts";
import { abs, clampMin } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1Options {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (default 1; 0 gives L1). */
  beta?: number;
}

/** Options of {@link huberLoss}. */
export interface HuberOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (default 1, must be > 0). */
  delta?: number;
}

/** Options of {@link quantileLoss}. */
export interface QuantileOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** The quantile in (0, 1) that the prediction estimates (default 0.5, half the L1). */
  q?: number;
}

function difference(loss: string, input: Tensor, target: Tensor): Tensor {
  requireSameShape(loss, { input, target });
  return sub(input, target);
}

// ½·m² + δ·(|d| − m) with m = min(|d|, δ): Huber's loss, with its gradient d (or ±δ).
function huber(d: Tensor, delta: number): Tensor {
  const a = abs(d);
  const m = neg(clampMin(neg(a), -delta));
  return add(scale(unary("square", m), 0.5), scale(sub(a, m), delta));
}

/**
 * `|input − target|` reduced by `reduction` (default mean), like `F.l1_loss`.

 * @example
 * ```ts
 * import { createCpuBackend, l1Loss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * console.log(await l1Loss(tensor(b, [1, -2], [2]), tensor(b, [0, 0], [2])).toArray()); // [1.5]
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return reduce(abs(difference("l1Loss", input, target)), reduction);
}

/**
 * `½d²/β` where `|d| < β`, else `|d| − ½β`, with `d = input − target` (`F.smooth_l1_loss`).

 * @example
 * ```ts
 * import { createCpuBackend, smoothL1Loss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [0.5, 3], [2]), y = tensor(b, [0, 0], [2]);
 * console.log(await smoothL1Loss(x, y, { reduction: "none" }).toArray()); // [0.125, 2.5]
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const { reduction = "mean", beta = 1 } = options;
  requireArgument("smoothL1Loss", "beta", beta >= 0, `must be ≥ 0, got ${beta}`);
  const d = difference("smoothL1Loss", input, target);
  // PyTorch falls back to the L1 loss for β = 0.
  return reduce(beta === 0 ? abs(d) : scale(huber(d, beta), 1 / beta), reduction);
}

/**
 * `½d²` where `|d| ≤ δ`, else `δ·(|d| − ½δ)`, with `d = input − target` (`F.huber_loss`).

 * @example
 * ```ts
 * import { createCpuBackend, huberLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [0.5, 3], [2]), y = tensor(b, [0, 0], [2]);
 * console.log(await huberLoss(x, y, { delta: 2, reduction: "sum" }).toArray()); // [4.125]
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const { reduction = "mean", delta = 1 } = options;
  requireArgument("huberLoss", "delta", delta > 0, `must be > 0, got ${delta}`);
  return reduce(huber(difference("huberLoss", input, target), delta), reduction);
}

/**
 * `log cosh(input − target)`, computed as `|d| + log(1 + e^(−2|d|)) − log 2` so that it
 * neither overflows nor loses the linear tail; its gradient is `tanh(d)`.
 * @example
 * ```ts
 * import { createCpuBackend, logCoshLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = logCoshLoss(tensor(b, [1000], [1]), tensor(b, [0], [1]));
 * console.log((await loss.toArray())[0].toFixed(3)); // "999.307"
 * ```
 */
export function logCoshLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  const a = abs(difference("logCoshLoss", input, target));
  const tail = log(affine(exp(scale(a, -2)), 1, 1));
  return reduce(affine(add(a, tail), 1, -Math.LN2), reduction);
}

/**
 * Pinball loss of the `q`-quantile: `max(q·d, (q − 1)·d)` with `d = target − input`.

 * @example
 * ```ts
 * import { createCpuBackend, quantileLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [1, 3], [2]), y = tensor(b, [2, 2], [2]);
 * console.log(await quantileLoss(x, y, { q: 0.9, reduction: "none" }).toArray()); // ≈ [0.9, 0.1]
 * ```
 */
export function quantileLoss(input: Tensor, target: Tensor, options: QuantileOptions = {}): Tensor {
  const { reduction = "mean", q = 0.5 } = options;
  requireArgument("quantileLoss", "q", q > 0 && q < 1, `must be in (0, 1), got ${q}`);
  const d = neg(difference("quantileLoss", input, target));
  return reduce(add(scale(relu(d), q), scale(relu(neg(d)), 1 - q)), reduction);
}
