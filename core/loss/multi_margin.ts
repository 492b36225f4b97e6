/**
 * Margin and logistic losses over the classes of each row of `[N, C]` scores:
 * `torch.nn.MultiMarginLoss`, `MultiLabelMarginLoss` and `MultiLabelSoftMarginLoss`.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import {
  add,
  affine,
  gather,
  matmul,
  mul,
  neg,
  relu,
  reshape,
  scale,
  sub,
  sum,
  unary,
} from "../ops.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { requireArgument, requireClassTargets, requireSameShape, requireShape } from "./check.ts";
import { oneHot } from "./class_index.ts";
import { isEqual, logSigmoid } from "./composite.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link multiMarginLoss}. */
export interface MultiMarginOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** 1 (hinge) or 2 (squared hinge); default 1. */
  p?: 1 | 2;
  /** Default 1. */
  margin?: number;
  /** Per-class weights `[C]`, applied by the target's class. */
  weight?: Tensor | null;
}

/** Options of {@link multilabelSoftMarginLoss}. */
export interface MultilabelSoftMarginOptions {
  /** How per-sample losses combine: `mean` (default), `sum` or `none`. */
  reduction?: Reduction;
  /** Per-class weights `[C]`. */
  weight?: Tensor | null;
}

/**
 * `Σ_{j≠y} w[y]·max(0, margin − x[y] + x[j])ᵖ / C` per row of `[N, C]` scores with class
 * indices `[N]` (`F.multi_margin_loss`).
 * @example
 * ```ts
 * import { createCpuBackend, multiMarginLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [0.1, 0.2, 0.4, 0.8], [1, 4]);
 * console.log(await multiMarginLoss(x, tensor(b, [3], [1])).toArray()); // ≈ [0.325]
 * ```
 */
export function multiMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultiMarginOptions = {},
): Tensor {
  const { reduction = "mean", p = 1, margin = 1, weight = null } = options;
  requireClassTargets("multiMarginLoss", input, target);
  requireArgument("multiMarginLoss", "p", p === 1 || p === 2, `must be 1 or 2, got ${p}`);
  const [n, c] = input.shape;
  requireShape("multiMarginLoss", "weight", weight, [c]);
  const hits = reshape(oneHot(target, c), [n, c]);
  const targetScore = reshape(gather(input, target), [n, 1]);
  const hinge = relu(add(affine(neg(targetScore), 1, margin), input));
  const others = mul(p === 1 ? hinge : unary("square", hinge), affine(hits, -1, 1));
  const rows = scale(sum(others, 1), 1 / c);
  return reduce(weight ? mul(rows, sum(mul(hits, reshape(weight, [1, c])), 1)) : rows, reduction);
}

/**
 * `Σ_{j ∈ targets} Σ_{k ∉ targets} max(0, 1 − (x[j] − x[k])) / C` per row, where each
 * row of `target` lists class indices up to its first negative entry
 * (`F.multilabel_margin_loss`). Input and target are `[N, C]`.
 * @example
 * ```ts
 * import { createCpuBackend, multilabelMarginLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [0.1, 0.2, 0.4, 0.8], [1, 4]);
 * const y = tensor(b, [3, 0, -1, 1], [1, 4]);
 * console.log(await multilabelMarginLoss(x, y).toArray()); // ≈ [0.85]
 * ```
 */
export function multilabelMarginLoss(
  input: Tensor,
  target: Tensor,
  reduction: Reduction = "mean",
): Tensor {
  requireSameShape("multilabelMarginLoss", { input, target });
  if (input.shape.length !== 2) {
    throw new ShapeError("multilabelMarginLoss", `expected input [N, C], got [${input.shape}]`);
  }
  const [n, c] = input.shape;
  // Entry k counts while no negative entry precedes it: a prefix count by a triangular matmul.
  const negative = unary("gt", neg(target), 0);
  const upper = Array.from({ length: c * c }, (_, i) => (Math.floor(i / c) <= i % c ? 1 : 0));
  const listed = isEqual(matmul(negative, tensor(input.backend, upper, [c, c])), 0);
  // times[n, j]: how often class j is listed (duplicates count, as in PyTorch's loop).
  const times = sum(mul(oneHot(target, c), reshape(listed, [n, 1, c])), 2);
  const others = affine(unary("gt", times, 0), -1, 1);
  // hinge[n, j, k] = max(0, 1 − x[j] + x[k]).
  const hinge = relu(affine(sub(reshape(input, [n, 1, c]), reshape(input, [n, c, 1])), 1, 1));
  const pairs = mul(mul(hinge, reshape(times, [n, c, 1])), reshape(others, [n, 1, c]));
  return reduce(scale(sum(sum(pairs, 2), 1), 1 / c), reduction);
}

/**
 * `−Σ_c w_c·(y·log σ(x) + (1 − y)·log σ(−x)) / C` per row of `[N, C]` scores and 0/1 (or
 * soft) targets (`F.multilabel_soft_margin_loss`).
 * @example
 * ```ts
 * import { createCpuBackend, multilabelSoftMarginLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const loss = multilabelSoftMarginLoss(tensor(b, [0, 0], [1, 2]), tensor(b, [1, 0], [1, 2]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.6931"
 * ```
 */
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultilabelSoftMarginOptions = {},
): Tensor {
  const { reduction = "mean", weight = null } = options;
  requireSameShape("multilabelSoftMarginLoss", { input, target });
  const c = input.shape.at(-1) ?? 1;
  requireShape("multilabelSoftMarginLoss", "weight", weight, [c]);
  const terms = neg(
    add(mul(target, logSigmoid(input)), mul(affine(target, -1, 1), logSigmoid(neg(input)))),
  );
  const rows = scale(sum(weight ? mul(terms, weight) : terms, -1), 1 / c);
  return reduce(rows, reduction);
}
