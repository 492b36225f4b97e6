/**
 * Batch normalisation as one differentiable op (`F.batch_norm`), run by `ops.ts`'s `apply`:
 * the backend's fused `batchNorm` forward and `batchNormBackward`, instead of a composition
 * of a dozen elementwise ops and reductions.
 *
 * @module
 */

import type { BatchNormStats, Storage } from "./backend.ts";
import { apply, type OpDef } from "./ops.ts";
import { Tensor } from "./tensor.ts";

/** Attributes of the batch norm op. */
export interface BatchNormAttrs {
  eps: number;
  /** Statistics to normalise with (evaluation); null: the batch's. */
  stats: BatchNormStats | null;
  /** Set by the forward pass: the statistics it used (PyTorch's `save_for_backward`). */
  used: BatchNormStats | null;
}

const batchNormOp = {
  forward: ([x, weight, bias], attrs) => {
    const [n, c, len] = x.shape;
    const { y, mean, variance } = x.backend.batchNorm({
      x: x.storage,
      n,
      c,
      len,
      weight: weight ? weight.storage : null,
      bias: bias ? bias.storage : null,
      eps: attrs.eps,
      stats: attrs.stats,
    });
    attrs.used = { mean, variance };
    return { storage: y, shape: x.shape };
  },
  vjp: (g, _y, [x, weight, bias], { eps, stats, used }) => {
    const [n, c, len] = x.shape;
    const b = x.backend;
    const r = b.batchNormBackward({
      x: x.storage,
      gy: g.storage,
      ...used!,
      weight: weight ? weight.storage : null,
      n,
      c,
      len,
      eps,
      batchStats: stats === null,
    });
    const wrap = (s: Storage | null, t: Tensor | null) => s && t ? new Tensor(b, s, t.shape) : null;
    return [new Tensor(b, r.gx, x.shape), wrap(r.gWeight, weight), wrap(r.gBias, bias)];
  },
} satisfies OpDef<BatchNormAttrs>;

/**
 * Normalises `[N, C, L]` `x` per channel with `stats` (or the batch's mean and biased
 * variance when null), then scales by γ and shifts by β where given; returns the output
 * and the statistics used.
 */
export function batchNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  stats: BatchNormStats | null,
): BatchNormStats & { y: Tensor } {
  const attrs: BatchNormAttrs = { eps, stats, used: null };
  const y = apply("batchNorm", batchNormOp, [x, weight, bias], attrs);
  return { y, ...attrs.used! };
}
