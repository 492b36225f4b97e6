/**
 * Margin losses on pairs and ±1 labels: `torch.nn.MarginRankingLoss`,
 * `HingeEmbeddingLoss`, `SoftMarginLoss` and `CosineEmbeddingLoss`.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { add, affine, div, mul, neg, sub, sum, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireSameShape } from "./check.ts";
import { clampMin, isEqual, softplus } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of the margin losses. */
export interface MarginOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** The margin (default 0 for ranking and cosine embedding, 1 for hinge embedding). */
  margin?: number;
}

/**
 * `max(0, −y·(x₁ − x₂) + margin)` for labels `y = ±1` (`F.margin_ranking_loss`).

 * @example
 * ```ts
 * import { createCpuBackend, marginRankingLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x1 = tensor(b, [1, 2], [2]), x2 = tensor(b, [2, 1], [2]), y = tensor(b, [1, 1], [2]);
 * console.log(await marginRankingLoss(x1, x2, y, { margin: 0.5 }).toArray()); // [0.75]
 * ```
 */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  const { reduction = "mean", margin = 0 } = options;
  requireSameShape("marginRankingLoss", { input1, input2, target });
  return reduce(clampMin(affine(neg(mul(target, sub(input1, input2))), 1, margin), 0), reduction);
}

/**
 * `x` where `y = 1`, `max(0, margin − x)` where `y = −1` (both terms for other labels, as
 * in PyTorch), like `F.hinge_embedding_loss`.
 * @example
 * ```ts
 * import { createCpuBackend, hingeEmbeddingLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = hingeEmbeddingLoss(tensor(b, [0.3, 0.4], [2]), tensor(b, [1, -1], [2]), {
 *   reduction: "none",
 * });
 * console.log(await loss.toArray()); // ≈ [0.3, 0.6]
 * ```
 */
export function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  const { reduction = "mean", margin = 1 } = options;
  requireSameShape("hingeEmbeddingLoss", { input, target });
  const notPositive = affine(isEqual(target, 1), -1, 1);
  const notNegative = affine(isEqual(target, -1), -1, 1);
  const hinge = clampMin(affine(input, -1, margin), 0);
  return reduce(add(mul(notPositive, hinge), mul(notNegative, input)), reduction);
}

/**
 * `log(1 + e^(−y·x))`, computed without overflow (`F.soft_margin_loss`).

 * @example
 * ```ts
 * import { createCpuBackend, softMarginLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = softMarginLoss(tensor(b, [0], [1]), tensor(b, [1], [1]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.6931"
 * ```
 */
export function softMarginLoss(
  input: Tensor,
  target: Tensor,
  reduction: Reduction = "mean",
): Tensor {
  requireSameShape("softMarginLoss", { input, target });
  return reduce(softplus(neg(mul(target, input))), reduction);
}

/**
 * `1 − cos(x₁, x₂)` where `y = 1`, `max(0, cos(x₁, x₂) − margin)` where `y = −1`, the
 * cosine taken over the last axis with PyTorch's 1e-12 added to each squared norm
 * (`F.cosine_embedding_loss`). Inputs `[N, D]` (or `[D]`), target `[N]` (or `[]`).
 * @example
 * ```ts
 * import { cosineEmbeddingLoss, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x1 = tensor(b, [1, 0, 1, 0], [2, 2]), x2 = tensor(b, [0, 1, 1, 0], [2, 2]);
 * const loss = cosineEmbeddingLoss(x1, x2, tensor(b, [1, -1], [2]), { reduction: "none" });
 * console.log(await loss.toArray()); // [1, 1]
 * ```
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  options: MarginOptions = {},
): Tensor {
  const { reduction = "mean", margin = 0 } = options;
  requireSameShape("cosineEmbeddingLoss", { input1, input2 });
  const rows = input1.shape.slice(0, -1);
  if (input1.shape.length === 0 || input1.shape.length > 2 || target.shape.join() !== rows.join()) {
    throw new ShapeError(
      "cosineEmbeddingLoss",
      `expected inputs [N, D] (or [D]) and target [N] (or []), got [${input1.shape}] and [${target.shape}]`,
    );
  }
  const squaredNorm = (x: Tensor) => affine(sum(unary("square", x), -1), 1, 1e-12);
  const norms = unary("sqrt", mul(squaredNorm(input1), squaredNorm(input2)));
  const cos = div(sum(mul(input1, input2), -1), norms);
  const similar = mul(isEqual(target, 1), affine(cos, -1, 1));
  const dissimilar = mul(isEqual(target, -1), clampMin(affine(cos, 1, -margin), 0));
  return reduce(add(similar, dissimilar), reduction);
}
