/**
 * `reduce` and `permute` for the fast CPU backend, bitwise the reference's. A reduction walks
 * its input once in memory order, keeping one float64 accumulator per output of the row (the
 * reference strides through memory per output); a permutation copies contiguous runs: the
 * trailing input axes that stay in place form one block, and the blocks are moved in the
 * order the reference's permutation of their indices gives.
 *
 * @module
 */

import type { ReduceOp } from "../core/backend.ts";
import { permuteHost } from "../core/cpu/permute.ts";
import { type Alloc, freshArray } from "./buffer_pool.ts";

/** Reduces `[outer, len, inner]` over `len`, as `Backend.reduce`. */
export function reduceFast(
  op: ReduceOp,
  src: Float32Array,
  outer: number,
  len: number,
  inner: number,
  alloc: Alloc = freshArray,
): Float32Array {
  const out = alloc(outer * inner);
  if (inner === 1) {
    // One output per contiguous run: a scalar accumulator.
    for (let o = 0, at = 0; o < outer; o++) {
      let acc = op === "sum" ? 0 : -Infinity;
      if (op === "sum") { for (let l = 0; l < len; l++) acc += src[at++]; }
      else {
        for (let l = 0; l < len; l++, at++) {
          const v = src[at];
          if (v > acc || Number.isNaN(v)) acc = v;
        }
      }
      out[o] = acc;
    }
    return out;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    acc.fill(op === "sum" ? 0 : -Infinity);
    let at = o * len * inner;
    for (let l = 0; l < len; l++, at += inner) {
      if (op === "sum") {
        for (let i = 0; i < inner; i++) acc[i] += src[at + i];
      } else {
        for (let i = 0; i < inner; i++) {
          const v = src[at + i];
          if (v > acc[i] || Number.isNaN(v)) acc[i] = v;
        }
      }
    }
    out.set(acc, o * inner);
  }
  return out;
}

/** `x` of `shape` with output axis `d` being input axis `dims[d]`, as `Backend.permute`. */
export function permuteFast(
  x: Float32Array,
  shape: readonly number[],
  dims: readonly number[],
  alloc: Alloc = freshArray,
): Float32Array {
  // Trailing axes that the permutation leaves where they are form one contiguous block.
  let keep = shape.length, block = 1;
  while (keep > 0 && dims[keep - 1] === keep - 1) block *= shape[--keep];
  if (block < 8 || keep === 0) return keep === 0 ? x.slice() : permuteHost(x, shape, dims);
  // Where each output block comes from: the reference's permutation of the block indices
  // (exact in f32 below 2²⁴ blocks).
  const blocks = x.length / block;
  if (blocks >= 2 ** 24) return permuteHost(x, shape, dims);
  const from = permuteHost(
    Float32Array.from({ length: blocks }, (_, i) => i),
    shape.slice(0, keep),
    dims.slice(0, keep),
  );
  const out = alloc(x.length);
  for (let q = 0; q < blocks; q++) {
    out.set(x.subarray(from[q] * block, (from[q] + 1) * block), q * block);
  }
  return out;
}
