/**
 * Elementwise and broadcast ops without the reference's per-element index walk: the broadcast
 * is folded into rows (adjacent dimensions merged where both operands allow, so that a
 * same-shape op is one row and a bias add is one row per channel plane), and each row runs a
 * loop specialised for the op where there is one (the ops a training step spends its time
 * in), else a loop over the op's scalar function. Results are bitwise the reference's: the
 * same scalar arithmetic, rounded to f32 on store.
 *
 * @module
 */

import {
  type BinaryFn,
  type BinaryOpName,
  binaryOps,
  type UnaryFn,
  type UnaryOpName,
  unaryOps,
} from "../core/elementwise.ts";
import { broadcastStrides, sizeOf } from "../core/shape.ts";
import { type Alloc, freshArray } from "./buffer_pool.ts";

/** `out[o + i] = op(x[ia + i·sa], y[ib + i·sb])` for `i < len`. */
type BinaryRow = (
  out: Float32Array,
  o: number,
  x: Float32Array,
  ia: number,
  sa: number,
  y: Float32Array,
  ib: number,
  sb: number,
  len: number,
) => void;

const binaryRows: Partial<Record<BinaryOpName, BinaryRow>> = {
  add(out, o, x, ia, sa, y, ib, sb, len) {
    if (sa === 1 && sb === 0) {
      // A bias plane (a convolution's channel): one value added along a contiguous row.
      const v = y[ib];
      for (let i = 0; i < len; i++) out[o + i] = x[ia + i] + v;
      return;
    }
    for (let i = 0; i < len; i++) out[o + i] = x[ia + i * sa] + y[ib + i * sb];
  },
  sub(out, o, x, ia, sa, y, ib, sb, len) {
    for (let i = 0; i < len; i++) out[o + i] = x[ia + i * sa] - y[ib + i * sb];
  },
  mul(out, o, x, ia, sa, y, ib, sb, len) {
    for (let i = 0; i < len; i++) out[o + i] = x[ia + i * sa] * y[ib + i * sb];
  },
  div(out, o, x, ia, sa, y, ib, sb, len) {
    for (let i = 0; i < len; i++) out[o + i] = x[ia + i * sa] / y[ib + i * sb];
  },
  relu_grad(out, o, x, ia, sa, y, ib, sb, len) {
    // core/elementwise.ts's formula: NaN passes the gradient through, as in torch.
    for (let i = 0; i < len; i++) out[o + i] = x[ia + i * sa] <= 0 ? 0 : y[ib + i * sb];
  },
};

function genericBinaryRow(f: BinaryFn, alpha: number, beta: number): BinaryRow {
  return (out, o, x, ia, sa, y, ib, sb, len) => {
    for (let i = 0; i < len; i++) out[o + i] = f(x[ia + i * sa], y[ib + i * sb], alpha, beta);
  };
}

/**
 * Output dimensions merged where neither operand's layout breaks contiguity, with each
 * operand's strides; size-1 dimensions dropped.
 */
function foldBroadcast(
  outShape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
): { shape: number[]; sa: number[]; sb: number[] } {
  const shape: number[] = [], fa: number[] = [], fb: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    const mergeable = last >= 0 &&
      fa[last] === sa[d] * outShape[d] && fb[last] === sb[d] * outShape[d];
    if (mergeable) {
      shape[last] *= outShape[d];
      fa[last] = sa[d];
      fb[last] = sb[d];
    } else {
      shape.push(outShape[d]);
      fa.push(sa[d]);
      fb.push(sb[d]);
    }
  }
  return { shape, sa: fa, sb: fb };
}

/** `op(a, b)` with NumPy broadcasting, as `Backend.binary`. */
export function binaryFast(
  op: BinaryOpName,
  x: Float32Array,
  aShape: readonly number[],
  y: Float32Array,
  bShape: readonly number[],
  outShape: readonly number[],
  alpha: number,
  beta: number,
  alloc: Alloc = freshArray,
): Float32Array {
  const n = sizeOf(outShape);
  const out = alloc(n);
  const row = binaryRows[op] ?? genericBinaryRow(binaryOps[op], alpha, beta);
  if (x.length === n && y.length === n) {
    row(out, 0, x, 0, 1, y, 0, 1, n);
    return out;
  }
  const f = foldBroadcast(
    outShape,
    broadcastStrides(aShape, outShape),
    broadcastStrides(bShape, outShape),
  );
  const rank = f.shape.length;
  if (rank === 0) {
    row(out, 0, x, 0, 0, y, 0, 0, n);
    return out;
  }
  const len = f.shape[rank - 1], la = f.sa[rank - 1], lb = f.sb[rank - 1];
  // Odometer over the outer dimensions, one row at a time.
  const index = new Array<number>(rank - 1).fill(0);
  let ia = 0, ib = 0;
  for (let o = 0; o < n; o += len) {
    row(out, o, x, ia, la, y, ib, lb, len);
    for (let d = rank - 2; d >= 0; d--) {
      index[d]++;
      ia += f.sa[d];
      ib += f.sb[d];
      if (index[d] < f.shape[d]) break;
      ia -= f.sa[d] * f.shape[d];
      ib -= f.sb[d] * f.shape[d];
      index[d] = 0;
    }
  }
  return out;
}

type UnaryLoop = (x: Float32Array, out: Float32Array) => void;

const unaryLoops: Partial<Record<UnaryOpName, UnaryLoop>> = {
  relu(x, out) {
    // core/elementwise.ts's formula: NaN propagates, as in torch.
    for (let i = 0; i < x.length; i++) out[i] = x[i] <= 0 ? 0 : x[i];
  },
  neg(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = -x[i];
  },
  square(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = x[i] * x[i];
  },
  exp(x, out) {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  },
};

/** `op(x)` elementwise, as `Backend.unary`. */
export function unaryFast(
  op: UnaryOpName,
  x: Float32Array,
  alpha: number,
  beta: number,
  alloc: Alloc = freshArray,
): Float32Array {
  const out = alloc(x.length);
  const loop = unaryLoops[op];
  if (loop) loop(x, out);
  else {
    const f: UnaryFn = unaryOps[op];
    for (let i = 0; i < x.length; i++) out[i] = f(x[i], alpha, beta);
  }
  return out;
}
