/**
 * Row-wise kernels over a `[rows, cols]` matrix of class scores: softmax and log-softmax,
 * gather and scatter of one column per row (indices stored as f32), and argmax.
 *
 * @module
 */

import argmax from "./argmax.wgsl" with { type: "text" };
import gather from "./gather.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel, type ParamField, ROW_WORKGROUP } from "./kernel.ts";
import scatter from "./scatter.wgsl" with { type: "text" };
import softmax from "./softmax.wgsl" with { type: "text" };
import softmaxRows from "./softmax_rows.wgsl" with { type: "text" };
import workgroupReduce from "./workgroup_reduce.wgsl" with { type: "text" };

const ROWS_COLS: readonly ParamField[] = [
  { name: "rows", type: "u32" },
  { name: "cols", type: "u32" },
];

/** Softmax (or log-softmax) of each row; dispatch one workgroup per row. */
export function softmaxKernel(log: boolean): Kernel {
  return memoKernel(`softmax:${log}`, (key) =>
    defineKernel({
      key,
      bindings: [["src", "read"], ["dst", "read_write"]],
      params: ROWS_COLS,
      constants: { LOG: log, REDUCE_WG: ROW_WORKGROUP },
      sources: [workgroupReduce, softmax, softmaxRows],
    }));
}

/** `dst[r] = src[r, idx[r]]`; one thread per row. */
export function gatherKernel(): Kernel {
  return memoKernel("gather", (key) =>
    defineKernel({
      key,
      bindings: [["src", "read"], ["idx", "read"], ["dst", "read_write"]],
      params: ROWS_COLS,
      sources: [gather],
    }));
}

/** `dst[r, idx[r]] = src[r]`, zeros elsewhere; one thread per output element. */
export function scatterKernel(): Kernel {
  return memoKernel("scatter", (key) =>
    defineKernel({
      key,
      bindings: [["src", "read"], ["idx", "read"], ["dst", "read_write"]],
      params: ROWS_COLS,
      sources: [scatter],
    }));
}

/** Index of the first maximum of each row; one thread per row. */
export function argmaxKernel(): Kernel {
  return memoKernel("argmax", (key) =>
    defineKernel({
      key,
      bindings: [["src", "read"], ["dst", "read_write"]],
      params: ROWS_COLS,
      sources: [argmax],
    }));
}
