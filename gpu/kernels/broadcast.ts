/**
 * Binary ops with NumPy broadcasting. The operands' strides (0 along broadcast
 * dimensions) are first collapsed — size-1 dimensions dropped, neighbours that both
 * operands walk contiguously merged — so `[3,1,5] + [4,1]` runs at rank 3 but
 * `[8,16,32] + [32]` at rank 2; the collapsed rank is a compile-time constant.
 *
 * @module
 */

import type { BinaryOpName } from "../../core/elementwise.ts";
import { ShapeError } from "../../core/errors.ts";
import broadcast from "./broadcast.wgsl" with { type: "text" };
import { binaryFunction, SCALAR_PARAMS } from "./elementwise.ts";
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";

/** Highest rank the kernel indexes after collapsing (two `vec4<u32>` per stride array). */
export const MAX_BROADCAST_RANK = 8;

/** The collapsed iteration space of one broadcast op. */
export interface BroadcastPlan {
  shape: number[];
  aStrides: number[];
  bStrides: number[];
}

/** Collapses `outShape` and both operands' broadcast strides (see the module doc). */
export function collapseBroadcast(
  outShape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): BroadcastPlan {
  const plan: BroadcastPlan = { shape: [], aStrides: [], bStrides: [] };
  outShape.forEach((extent, d) => {
    if (extent === 1) return;
    const last = plan.shape.length - 1;
    const mergeable = last >= 0 &&
      plan.aStrides[last] === aStrides[d] * extent &&
      plan.bStrides[last] === bStrides[d] * extent;
    if (mergeable) {
      plan.shape[last] *= extent;
      plan.aStrides[last] = aStrides[d];
      plan.bStrides[last] = bStrides[d];
    } else {
      plan.shape.push(extent);
      plan.aStrides.push(aStrides[d]);
      plan.bStrides.push(bStrides[d]);
    }
  });
  if (plan.shape.length > MAX_BROADCAST_RANK) {
    throw new ShapeError(
      "binary",
      `[${outShape}] has rank ${plan.shape.length} after merging dimensions; at most ` +
        `${MAX_BROADCAST_RANK} is supported on WebGPU`,
    );
  }
  return plan;
}

/** `dst = op(a, b, alpha, beta)` with each operand read through the strides of a collapsed plan. */
export function broadcastKernel(op: BinaryOpName, rank: number): Kernel {
  return memoKernel(`broadcast:${op}:${rank}`, (key) =>
    defineKernel({
      key,
      bindings: [["a", "read"], ["b", "read"], ["dst", "read_write"]],
      params: [
        { name: "n", type: "u32" },
        ...SCALAR_PARAMS,
        { name: "shape", type: "u32", count: MAX_BROADCAST_RANK },
        { name: "a_strides", type: "u32", count: MAX_BROADCAST_RANK },
        { name: "b_strides", type: "u32", count: MAX_BROADCAST_RANK },
      ],
      constants: { RANK: rank },
      sources: [binaryFunction(op), broadcast],
    }));
}
