/**
 * Fused batch norm kernels over `[n, c, len]` storage, one workgroup per channel: the
 * forward (batch statistics or given ones) and the backward (input, γ and β gradients).
 * A channel holds n·len values (65536 in ResNet-20's first stage at batch 64), so the
 * workgroups are the large ones of the flat kernels, to have many loads in flight.
 *
 * @module
 */

import batchNormSource from "./batch_norm.wgsl" with { type: "text" };
import batchNormBackwardSource from "./batch_norm_backward.wgsl" with { type: "text" };
import batchNormCommon from "./batch_norm_common.wgsl" with { type: "text" };
import {
  defineKernel,
  FLAT_WORKGROUP,
  type Kernel,
  memoKernel,
  type ParamField,
} from "./kernel.ts";
import workgroupReduce from "./workgroup_reduce.wgsl" with { type: "text" };

/** Parameters of both kernels. */
export const BATCH_NORM_PARAMS: readonly ParamField[] = [
  { name: "n", type: "u32" },
  { name: "c", type: "u32" },
  { name: "len", type: "u32" },
  { name: "eps", type: "f32" },
];

/**
 * Bindings x, weight, bias, mean, variance, y; `batch` computes the statistics (and writes
 * them to mean and variance), `affine` applies γ and β.
 */
export function batchNormKernel(batch: boolean, affine: boolean): Kernel {
  return memoKernel(`batchNorm:${batch}:${affine}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ["x", "read"],
        ["weight", "read"],
        ["bias", "read"],
        // Written only with `batch`, but WGSL rejects a store to a read binding even in
        // code that a constant switches off.
        ["mean", "read_write"],
        ["variance", "read_write"],
        ["y", "read_write"],
      ],
      params: BATCH_NORM_PARAMS,
      constants: { BATCH: batch, AFFINE: affine, REDUCE_WG: FLAT_WORKGROUP },
      sources: [workgroupReduce, batchNormCommon, batchNormSource],
    }));
}

/** Bindings x, gy, weight, mean, variance, gx, g_weight, g_bias. */
export function batchNormBackwardKernel(batch: boolean, affine: boolean): Kernel {
  return memoKernel(`batchNormBackward:${batch}:${affine}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ["x", "read"],
        ["gy", "read"],
        ["weight", "read"],
        ["mean", "read"],
        ["variance", "read"],
        ["gx", "read_write"],
        ["g_weight", "read_write"],
        ["g_bias", "read_write"],
      ],
      params: BATCH_NORM_PARAMS,
      constants: { BATCH: batch, AFFINE: affine, REDUCE_WG: FLAT_WORKGROUP },
      sources: [workgroupReduce, batchNormCommon, batchNormBackwardSource],
    }));
}
