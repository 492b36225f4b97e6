/**
 * Negative log-likelihood of class indices (`torch.nn.NLLLoss`), for `[N, C]` inputs and
 * for `[N, C, d₁, …]` inputs with `[N, d₁, …]` targets (the old `NLLLoss2d`).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { affine, div, gather, mul, neg, reshape, sum } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { requireShape } from "./check.ts";
import { oneHot, withoutIgnored } from "./class_index.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link nllLoss}, named as in PyTorch. */
export interface NllOptions {
  /** Per-class rescaling weights `[C]`. */
  weight?: Tensor | null;
  /** Default `mean`: the weighted mean divides by the sum of the targets' weights. */
  reduction?: Reduction;
  /** Target value that contributes neither loss nor gradient (default −100). */
  ignoreIndex?: number;
}

/**
 * `ℓ = −w[y]·input[y]` for log-probabilities `input` `[N, C, …]` and class indices `target`
 * `[N, …]`; ignored targets give 0 and leave the weighted mean's denominator.
 * @example
 * ```ts
 * import { createCpuBackend, logSoftmax, nllLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const logp = logSoftmax(tensor(b, [2, 0, 0, 1], [2, 2]));
 * const loss = nllLoss(logp, tensor(b, [0, 1], [2]));
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.2201"
 * ```
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllOptions = {}): Tensor {
  const { weight = null, reduction = "mean", ignoreIndex = -100 } = options;
  const [n, c, ...rest] = input.shape;
  if (input.shape.length < 2 || target.shape.join() !== [n, ...rest].join()) {
    throw new ShapeError(
      "nllLoss",
      `expected input [N, C, …] and target [N, …], got [${input.shape}] and [${target.shape}]`,
    );
  }
  requireShape("nllLoss", "weight", weight, [c]);
  const hits = oneHot(withoutIgnored(target, c, ignoreIndex), c);
  const targetWeight = sum(
    weight ? mul(hits, reshape(weight, [1, c, ...rest.map(() => 1)])) : hits,
    1,
  );
  const losses = neg(mul(sum(pick(input, hits), 1), targetWeight));
  if (reduction === "mean") return div(sum(losses), sum(targetWeight));
  return reduce(losses, reduction);
}

// `x` where `hit` is 1 and exactly 0 elsewhere, even where `x` is −∞ (a 0/1 product would
// give NaN): a gather from `[size, 1]` at index 0 (hit) or −1 (out of range, which gives 0).
function pick(x: Tensor, hits: Tensor): Tensor {
  const column = gather(reshape(x, [x.size, 1]), reshape(affine(hits, 1, -1), [x.size]));
  return reshape(column, x.shape);
}
