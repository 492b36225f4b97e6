/**
 * Kernels of the fused softmax cross-entropy: the loss and its logit gradient, one
 * dispatch each.
 *
 * @module
 */

import type { CrossEntropySpec } from "../../core/backend.ts";
import common from "./cross_entropy_common.wgsl" with { type: "text" };
import forward from "./cross_entropy.wgsl" with { type: "text" };
import backward from "./cross_entropy_backward.wgsl" with { type: "text" };
import softmaxRows from "./softmax_rows.wgsl" with { type: "text" };
import {
  defineKernel,
  FLAT_WORKGROUP,
  type Kernel,
  memoKernel,
  type ParamField,
  type ParamValue,
  ROW_WORKGROUP,
} from "./kernel.ts";
import workgroupReduce from "./workgroup_reduce.wgsl" with { type: "text" };

const CE_PARAMS: readonly ParamField[] = [
  { name: "rows", type: "u32" },
  { name: "cols", type: "u32" },
  { name: "ignore_index", type: "f32" },
  { name: "smoothing", type: "f32" },
  { name: "scale", type: "f32" },
];

/** The uniform values of both cross-entropy kernels. */
export function crossEntropyParams(spec: CrossEntropySpec): ParamValue[] {
  return [spec.rows, spec.cols, spec.ignoreIndex, spec.labelSmoothing, spec.scale];
}

const flags = (spec: CrossEntropySpec, weighted: boolean) => ({
  REDUCED: spec.reduction !== "none",
  MEAN: spec.reduction === "mean",
  HAS_WEIGHT: weighted,
});

/**
 * The loss: bindings logits, labels, weight, dst. Reduced, dispatch one workgroup of
 * {@link FLAT_WORKGROUP}; with reduction `none`, one thread per row.
 */
export function crossEntropyKernel(spec: CrossEntropySpec, weighted: boolean): Kernel {
  return memoKernel(`cross_entropy:${spec.reduction}:${weighted}`, (key) =>
    defineKernel({
      key,
      bindings: [["logits", "read"], ["labels", "read"], ["weight", "read"], ["dst", "read_write"]],
      params: CE_PARAMS,
      constants: { ...flags(spec, weighted), REDUCE_WG: FLAT_WORKGROUP },
      sources: [workgroupReduce, common, forward],
    }));
}

/**
 * The logit gradient: bindings src (the logits), labels, weight, totals (the forward's
 * output), gy, dst; one workgroup per row.
 */
export function crossEntropyBackwardKernel(spec: CrossEntropySpec, weighted: boolean): Kernel {
  return memoKernel(`cross_entropy_backward:${spec.reduction}:${weighted}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ["src", "read"],
        ["labels", "read"],
        ["weight", "read"],
        ["totals", "read"],
        ["gy", "read"],
        ["dst", "read_write"],
      ],
      params: CE_PARAMS,
      constants: { ...flags(spec, weighted), REDUCE_WG: ROW_WORKGROUP },
      sources: [workgroupReduce, common, backward, softmaxRows],
    }));
}
