/**
 * Likelihood-based losses: Kullback–Leibler divergence (`torch.nn.KLDivLoss`), Poisson
 * and Gaussian negative log-likelihoods (`PoissonNLLLoss`, `GaussianNLLLoss`).
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { add, affine, div, exp, log, mul, reshape, scale, sub, sum, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireArgument, requireSameShape } from "./check.ts";
import { clampMin, withGradient, xlogx } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link klDiv}. */
export interface KlDivOptions {
  /** `batchmean` divides the sum by the batch size, the true KL divergence (default mean). */
  reduction?: Reduction | "batchmean";
  /** Whether `target` holds log-probabilities (default false). */
  logTarget?: boolean;
}

/** Options of {@link poissonNllLoss}. */
export interface PoissonNllOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Whether `input` is the log of the rate (default true) or the rate itself. */
  logInput?: boolean;
  /** Adds Stirling's approximation of `log(target!)` where `target > 1` (default false). */
  full?: boolean;
  /** Added to the rate inside the log when `logInput` is false (default 1e-8). */
  eps?: number;
}

/** Options of {@link gaussianNllLoss}. */
export interface GaussianNllOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Adds the constant `½·log 2π` (default false). */
  full?: boolean;
  /** Lower clamp of the variance, applied without affecting its gradient (default 1e-6). */
  eps?: number;
}

/**
 * Pointwise `y·(log y − x)` for log-probabilities `x` and probabilities `y` (0 where
 * `y = 0`), or `eʸ·(y − x)` with `logTarget`, like `F.kl_div`.
 * @example
 * ```ts
 * import { createCpuBackend, klDiv, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const logq = tensor(b, [Math.log(0.5), Math.log(0.5)], [1, 2]);
 * const kl = klDiv(logq, tensor(b, [1, 0], [1, 2]), { reduction: "batchmean" });
 * console.log((await kl.toArray())[0].toFixed(4)); // "0.6931"
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const { reduction = "mean", logTarget = false } = options;
  requireSameShape("klDiv", { input, target });
  const losses = logTarget
    ? mul(exp(target), sub(target, input))
    : sub(xlogx(target), mul(target, input));
  if (reduction !== "batchmean") return reduce(losses, reduction);
  return input.shape.length ? scale(sum(losses), 1 / input.shape[0]) : sum(losses);
}

/**
 * `eˣ − y·x` (or `x − y·log(x + ε)` without `logInput`), plus Stirling's term
 * `y·log y − y + ½·log(2πy)` where `y > 1` when `full`, like `F.poisson_nll_loss`.
 * @example
 * ```ts
 * import { createCpuBackend, poissonNllLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = poissonNllLoss(tensor(b, [0], [1]), tensor(b, [2], [1]), { full: true });
 * console.log((await loss.toArray())[0].toFixed(4)); // "1.6518"
 * ```
 */
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  options: PoissonNllOptions = {},
): Tensor {
  const { reduction = "mean", logInput = true, full = false, eps = 1e-8 } = options;
  requireSameShape("poissonNllLoss", { input, target });
  let losses = logInput
    ? sub(exp(input), mul(target, input))
    : sub(input, mul(target, log(affine(input, 1, eps))));
  if (full) {
    // Evaluated at max(y, 1) so that y ≤ 1 (masked out) stays finite, gradient included.
    const y = clampMin(target, 1);
    const stirling = add(sub(xlogx(y), y), scale(log(scale(y, 2 * Math.PI)), 0.5));
    losses = add(losses, mul(unary("gt", target, 1), stirling));
  }
  return reduce(losses, reduction);
}

/**
 * `½·(log v + (x − y)²/v)` with `v = max(var, ε)` (plus `½·log 2π` when `full`), like
 * `F.gaussian_nll_loss`. `var` has the input's shape, or lacks (or has size 1 in) its
 * last dimension for one variance per row. The clamp, as in PyTorch, is invisible to the
 * gradient.
 * @example
 * ```ts
 * import { createCpuBackend, gaussianNllLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [1, 3], [1, 2]), y = tensor(b, [0, 3], [1, 2]);
 * const loss = gaussianNllLoss(x, y, tensor(b, [1], [1]), { reduction: "sum" });
 * console.log(await loss.toArray()); // [0.5]
 * ```
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: GaussianNllOptions = {},
): Tensor {
  const { reduction = "mean", full = false, eps = 1e-6 } = options;
  requireSameShape("gaussianNllLoss", { input, target });
  requireArgument("gaussianNllLoss", "eps", eps > 0, `must be > 0, got ${eps}`);
  const given = rowVariance(input, variance);
  const v = withGradient(noGrad(() => clampMin(given, eps)), given);
  const half = scale(add(log(v), div(unary("square", sub(input, target)), v)), 0.5);
  return reduce(full ? affine(half, 1, 0.5 * Math.log(2 * Math.PI)) : half, reduction);
}

// var as given (heteroscedastic), or with a trailing 1 added when it lacks the last axis.
function rowVariance(input: Tensor, variance: Tensor): Tensor {
  const lead = input.shape.slice(0, -1).join();
  const v = variance.shape;
  if (v.join() === input.shape.join() || (v.slice(0, -1).join() === lead && v.at(-1) === 1)) {
    return variance;
  }
  if (v.join() === lead && v.length === input.shape.length - 1) return reshape(variance, [...v, 1]);
  throw new ShapeError(
    "gaussianNllLoss",
    `var must be [${input.shape}], [${input.shape.slice(0, -1)}] or [${
      input.shape.slice(0, -1)
    },1] for input [${input.shape}], got [${v}]`,
  );
}
