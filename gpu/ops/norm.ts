/**
 * The WebGPU backend's fused batch norm, forward and backward, one dispatch each
 * (gpu/kernels/batch_norm.ts).
 *
 * @module
 */

import type {
  Backend,
  BatchNormArgs,
  BatchNormBackwardArgs,
  BatchNormGrads,
  BatchNormStats,
  Storage,
} from "../../core/backend.ts";
import { batchNormBackwardKernel, batchNormKernel } from "../kernels/batch_norm.ts";
import type { OpContext } from "../op_context.ts";

/** The batch norm methods of a {@link Backend}. */
export type NormOps = Pick<Backend, "batchNorm" | "batchNormBackward">;

/** {@link NormOps} recorded through `ctx`. */
export function normOps(ctx: OpContext): NormOps {
  return {
    batchNorm(
      { x, n, c, len, weight, bias, eps, stats }: BatchNormArgs,
    ): BatchNormStats & { y: Storage } {
      const y = ctx.allocate(x.size);
      const { mean, variance } = stats ?? { mean: ctx.allocate(c), variance: ctx.allocate(c) };
      ctx.run(
        batchNormKernel(stats === null, weight !== null),
        [x, weight ?? ctx.zero, bias ?? ctx.zero, mean, variance, y],
        [n, c, len, eps],
        c,
      );
      return { y, mean, variance };
    },

    batchNormBackward(
      { x, gy, mean, variance, weight, n, c, len, eps, batchStats }: BatchNormBackwardArgs,
    ): BatchNormGrads {
      const gx = ctx.allocate(x.size);
      // Without γ and β their sums still land somewhere, and are dropped.
      const gWeight = ctx.allocate(c), gBias = ctx.allocate(c);
      ctx.run(
        batchNormBackwardKernel(batchStats, weight !== null),
        [x, gy, weight ?? ctx.zero, mean, variance, gx, gWeight, gBias],
        [n, c, len, eps],
        c,
      );
      return weight ? { gx, gWeight, gBias } : { gx, gWeight: null, gBias: null };
    },
  };
}
