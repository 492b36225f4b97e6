/**
 * Sum or max over the middle axis of `[outer, len, inner]`. The input is an
 * {@link Operand}, so the same kernel sums the columns of an activation gradient (the
 * linear layer's bias gradient) without materialising it.
 *
 * @module
 */

import type { ReduceOp } from "../../core/backend.ts";
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import type { Operand } from "./operand.ts";
import reduce from "./reduce.wgsl" with { type: "text" };
import reduceMax from "./reduce_max.wgsl" with { type: "text" };
import reduceSum from "./reduce_sum.wgsl" with { type: "text" };

const combiners: Record<ReduceOp, string> = { sum: reduceSum, max: reduceMax };

/** Most values one thread of a reduction loops over; longer axes are reduced in chunks. */
export const REDUCE_CHUNK = 4096;

/**
 * `dst[o, c, j] = op over l in chunk c of src[o, l, j]`, chunks of `chunk` values of the
 * middle axis (one chunk when `chunk ≥ len`); `src` must be an operand named `src`.
 */
export function reduceKernel(op: ReduceOp, src: Operand): Kernel {
  return memoKernel(`reduce:${op}:${src.key}`, (key) =>
    defineKernel({
      key,
      bindings: [...src.bindings, ["dst", "read_write"]],
      params: [
        { name: "outer", type: "u32" },
        { name: "len", type: "u32" },
        { name: "inner", type: "u32" },
        { name: "chunk", type: "u32" },
      ],
      sources: [combiners[op], src.code, reduce],
    }));
}
