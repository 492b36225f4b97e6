/**
 * `reduce` and `permute` for the fast CPU backend, bitwise the reference's. A reduction walks
 * its input once in memory order, keeping one float64 accumulator per output of the row (the
 * reference strides through memory per output); a permutation copies contiguous runs: the
 * trailing input axes that stay in place and in order form one block, moved with one loop.
 *
 * @module
 */

import type { ReduceOp } from "../core/backend.ts";
import { permuteHost } from "../core/cpu/permute.ts";

/** Reduces `[outer, len, inner]` over `len`, as `Backend.reduce`. */
export function reduceFast(
  op: ReduceOp,
  src: Float32Array,
  outer: number,
  len: number,
  inner: number,
): Float32Array {
  const out = new Float32Array(outer * inner);
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
): Float32Array {
  // Trailing axes that the permutation leaves where they are form one contiguous block.
  let keep = shape.length, block = 1;
  while (keep > 0 && dims[keep - 1] === keep - 1) block *= shape[--keep];
  if (block < 8 || keep === 0) return keep === 0 ? x.slice() : permuteHost(x, shape, dims);
  // Permute the leading axes as blocks: output block q comes from input block srcBlock(q).
  const lead = shape.slice(0, keep);
  const outLead = dims.slice(0, keep).map((d) => lead[d]);
  const inStrides = new Array<number>(keep);
  for (let d = keep - 1, s = 1; d >= 0; s *= lead[d], d--) inStrides[d] = s;
  const strides = dims.slice(0, keep).map((d) => inStrides[d]);
  const out = new Float32Array(x.length);
  const index = new Array<number>(keep).fill(0);
  const blocks = x.length / block;
  let from = 0;
  for (let q = 0; q < blocks; q++) {
    out.set(x.subarray(from * block, (from + 1) * block), q * block);
    for (let d = keep - 1; d >= 0; d--) {
      index[d]++;
      from += strides[d];
      if (index[d] < outLead[d]) break;
      from -= strides[d] * outLead[d];
      index[d] = 0;
    }
  }
  return out;
}
