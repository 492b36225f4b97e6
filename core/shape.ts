/**
 * Shape arithmetic shared by tensors and backends: sizes, NumPy broadcasting, and the
 * strides that let a broadcast operand be read in place.
 *
 * @module
 */

import { ShapeError } from "./errors.ts";

/** Number of elements of a shape (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The broadcast shape of `a` and `b` (NumPy rules); throws naming `op` if incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `cannot broadcast [${a}] with [${b}]`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * Row-major strides of `shape` right-aligned against `outShape`, with 0 for every
 * broadcast dimension, so that element `i` of the output reads `shape`'s element at
 * `Σ index_d(i) · stride_d`.
 */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}
