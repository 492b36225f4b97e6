/**
 * Triplet losses on embeddings (`torch.nn.TripletMarginLoss`,
 * `TripletMarginWithDistanceLoss`) and the distance they use by default
 * (`F.pairwise_distance`).
 *
 * @module
 */

import { affine, sub, sum, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireArgument, requireSameShape } from "./check.ts";
import { abs, clampMin, minimum } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link pairwiseDistance}. */
export interface PairwiseDistanceOptions {
  /** Order of the norm, any finite p > 0 (default 2). */
  p?: number;
  /** Added to the difference before the norm, keeping its gradient finite (default 1e-6). */
  eps?: number;
  /** Keeps the reduced last axis with size 1 (default false). */
  keepdim?: boolean;
}

/** Options of {@link tripletMarginLoss}. */
export interface TripletMarginOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Default 1. */
  margin?: number;
  /** Order of the pairwise distance (default 2). */
  p?: number;
  /** See {@link PairwiseDistanceOptions.eps} (default 1e-6). */
  eps?: number;
  /** Also compares with the positive–negative distance, keeping the smaller (default false). */
  swap?: boolean;
}

/** Options of {@link tripletMarginWithDistanceLoss}. */
export interface TripletMarginWithDistanceOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Distance of two batches of embeddings, one value per row (default {@link pairwiseDistance}). */
  distanceFunction?: (a: Tensor, b: Tensor) => Tensor;
  /** Default 1, must be > 0. */
  margin?: number;
  /** See {@link TripletMarginOptions.swap}. */
  swap?: boolean;
}

/**
 * `‖x₁ − x₂ + ε‖ₚ` over the last axis (`F.pairwise_distance`).

 * @example
 * ```ts
 * import { createCpuBackend, pairwiseDistance, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const d = pairwiseDistance(tensor(b, [3, 4], [1, 2]), tensor(b, [0, 0], [1, 2]), { eps: 0 });
 * console.log(await d.toArray()); // [5]
 * ```
 */
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  options: PairwiseDistanceOptions = {},
): Tensor {
  const { p = 2, eps = 1e-6, keepdim = false } = options;
  requireArgument("pairwiseDistance", "p", p > 0 && Number.isFinite(p), `must be > 0, got ${p}`);
  const powered = unary("pow", abs(affine(sub(x1, x2), 1, eps)), p);
  return unary("pow", sum(powered, -1, keepdim), 1 / p);
}

/**
 * `max(0, d(a, p) − d(a, n) + margin)` with `d` the p-norm distance
 * (`F.triplet_margin_loss`). Anchor, positive and negative share one shape, `[N, D]` or `[D]`.
 * @example
 * ```ts
 * import { createCpuBackend, tensor, tripletMarginLoss } from "../../mod.ts";
 * const b = createCpuBackend();
 * const a = tensor(b, [0, 0], [1, 2]), p = tensor(b, [3, 4], [1, 2]);
 * const n = tensor(b, [0, 1], [1, 2]);
 * console.log(await tripletMarginLoss(a, p, n, { eps: 0 }).toArray()); // [5]
 * ```
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginOptions = {},
): Tensor {
  const { reduction = "mean", margin = 1, p = 2, eps = 1e-6, swap = false } = options;
  const distance = (x: Tensor, y: Tensor) => pairwiseDistance(x, y, { p, eps });
  return triplet(
    "tripletMarginLoss",
    [anchor, positive, negative],
    distance,
    margin,
    swap,
    reduction,
  );
}

/**
 * {@link tripletMarginLoss} with any distance function
 * (`F.triplet_margin_with_distance_loss`).
 * @example
 * ```ts
 * import { createCpuBackend, sub, sum, type Tensor, tensor, unary } from "../../mod.ts";
 * import { tripletMarginWithDistanceLoss } from "../../mod.ts";
 * const b = createCpuBackend();
 * const squared = (x: Tensor, y: Tensor) => sum(unary("square", sub(x, y)), -1);
 * const a = tensor(b, [0, 0], [1, 2]), p = tensor(b, [1, 0], [1, 2]), n = tensor(b, [1, 1], [1, 2]);
 * const loss = tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: squared, margin: 2 });
 * console.log(await loss.toArray()); // [1]
 * ```
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginWithDistanceOptions = {},
): Tensor {
  const {
    reduction = "mean",
    distanceFunction = (x: Tensor, y: Tensor) => pairwiseDistance(x, y),
    margin = 1,
    swap = false,
  } = options;
  const loss = "tripletMarginWithDistanceLoss";
  requireArgument(loss, "margin", margin > 0, `must be > 0, got ${margin}`);
  return triplet(loss, [anchor, positive, negative], distanceFunction, margin, swap, reduction);
}

function triplet(
  loss: string,
  [anchor, positive, negative]: readonly Tensor[],
  distance: (a: Tensor, b: Tensor) => Tensor,
  margin: number,
  swap: boolean,
  reduction: Reduction,
): Tensor {
  requireSameShape(loss, { anchor, positive, negative });
  const toPositive = distance(anchor, positive);
  const toNegative = distance(anchor, negative);
  const hardest = swap ? minimum(toNegative, distance(positive, negative)) : toNegative;
  return reduce(clampMin(affine(sub(toPositive, hardest), 1, margin), 0), reduction);
}
