/**
 * What several optimizer records share: the gradient as updates start from it (host and
 * WGSL), the uniform helpers and field lists of the WGSL kernels, and the catalogue
 * arguments that many optimizers take alike.
 *
 * @module
 */

import type { OptimizerHyper, UpdateField } from "../../backend.ts";
import { type CatalogArg, catalogArg } from "../../catalog.ts";
import directionSource from "./direction.wgsl" with { type: "text" };
import momentsSource from "./moments.wgsl" with { type: "text" };

/** WGSL `direction(i)`: the gradient negated to maximize, plus the L2 penalty. */
export const DIRECTION_WGSL: string = directionSource;
/** WGSL `moments(i, d)`: Adam's first and second moment estimates of one element. */
export const MOMENTS_WGSL: string = momentsSource;

/** The gradient as every update starts from it: negated to maximize, plus L2 decay. */
export function direction(p: Float32Array, g: Float32Array, i: number, h: OptimizerHyper): number {
  const d = h.maximize ? -g[i] : g[i];
  return h.weightDecay !== 0 ? d + h.weightDecay * p[i] : d;
}

/** A `u32` uniform. */
export const u32 = (name: string, value: UpdateField["value"]): UpdateField => ({
  name,
  type: "u32",
  value,
});
/** An `f32` uniform. */
export const f32 = (name: string, value: UpdateField["value"]): UpdateField => ({
  name,
  type: "f32",
  value,
});
/** A boolean as a `u32` uniform (0 or 1). */
export const flag = (name: string, value: (h: OptimizerHyper) => boolean): UpdateField =>
  u32(name, (h) => value(h) ? 1 : 0);

/** The fields that {@link DIRECTION_WGSL} reads, first in every kernel that uses it. */
export const DIRECTION: readonly UpdateField[] = [
  u32("n", (_, n) => n),
  flag("maximize", (h) => h.maximize),
  f32("weight_decay", (h) => h.weightDecay),
];

/** The fields that {@link MOMENTS_WGSL} reads (and Adamax, which keeps its own second moment). */
export const MOMENTS: readonly UpdateField[] = [
  f32("beta1", (h) => h.beta1),
  f32("one_minus_beta1", (h) => 1 - h.beta1),
  f32("beta2", (h) => h.beta2),
  f32("one_minus_beta2", (h) => 1 - h.beta2),
  f32("eps", (h) => h.eps),
];

/** `lr` with its default. */
export const lrArg = (value: number): CatalogArg => catalogArg("lr", value, "learning rate");
/** `weight_decay` as an L2 penalty, default 0. */
export const weightDecayArg: CatalogArg = catalogArg(
  "weight_decay",
  0,
  "L2 penalty added to the gradient",
);
/** `maximize`, default false. */
export const maximizeArg: CatalogArg = catalogArg(
  "maximize",
  false,
  "maximize the objective instead of minimizing it",
);
/** Adam's `betas`. */
export const betasArg: CatalogArg = catalogArg(
  "betas",
  [0.9, 0.999],
  "decay rates of the gradient's mean and square",
);
/** `eps` with its default. */
export const epsArg = (value: number): CatalogArg =>
  catalogArg("eps", value, "term added to the denominator for stability");
