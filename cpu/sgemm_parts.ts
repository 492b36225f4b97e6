/**
 * How a product is cut into OpenBLAS calls. OpenBLAS's own threads change which edge kernels
 * compute an element, and so its rounding, with the thread count; so OpenBLAS runs one thread
 * per call, and the product is cut into a fixed list of parts that depends only on its shape.
 * The kernel threads then share out the parts: the same calls whatever their number, so the
 * results are bitwise independent of `--threads`.
 *
 * @module
 */

import type { OpenBlas } from "./openblas.ts";
import { GEMM, type GemmShape } from "./thread_protocol.ts";

/** Multiply-adds per part, at least (smaller products are one call). */
const MACS_PER_PART = 1 << 19;
/** Most parts of one matrix. */
const MAX_PARTS = 4;
/** Parts are whole multiples of this many rows or columns. */
const PART_ALIGN = 16;

/** One call: matrix `batch`, rows `[i0, i1)` and columns `[j0, j1)` of the output. */
export interface SgemmPart {
  batch: number;
  i0: number;
  i1: number;
  j0: number;
  j1: number;
}

/** The parts of a product, in a fixed order. */
export function sgemmParts(s: GemmShape): SgemmPart[] {
  const { m, n, k } = s;
  const rows = m >= n;
  const dim = rows ? m : n;
  const units = Math.ceil(dim / PART_ALIGN);
  const count = Math.max(1, Math.min(MAX_PARTS, units, Math.floor((m * n * k) / MACS_PER_PART)));
  const parts: SgemmPart[] = [];
  for (let b = 0; b < s.batch; b++) {
    for (let p = 0; p < count; p++) {
      const lo = Math.min(dim, Math.floor((units * p) / count) * PART_ALIGN);
      const hi = Math.min(dim, Math.floor((units * (p + 1)) / count) * PART_ALIGN);
      parts.push(
        rows
          ? { batch: b, i0: lo, i1: hi, j0: 0, j1: n }
          : { batch: b, i0: 0, i1: m, j0: lo, j1: hi },
      );
    }
  }
  return parts;
}

/** Where the operands of a product lie: arrays and element offsets of matrix 0. */
export interface SgemmOperands {
  a: Float32Array;
  aAt: number;
  b: Float32Array;
  bAt: number;
  c: Float32Array;
  cAt: number;
}

/** Runs `parts[from, to)` of the product `s` on `ops` with `blas`. */
export function runSgemmParts(
  blas: OpenBlas,
  s: GemmShape,
  ops: SgemmOperands,
  parts: readonly SgemmPart[],
  from: number,
  to: number,
): void {
  const { m, n, k } = s;
  const lda = s.transA ? m : k, ldb = s.transB ? k : n;
  for (let p = from; p < to; p++) {
    const { batch, i0, i1, j0, j1 } = parts[p];
    const a = ops.aAt + batch * m * k + (s.transA ? i0 : i0 * lda);
    const b = ops.bAt + batch * k * n + (s.transB ? j0 * ldb : j0);
    const c = ops.cAt + batch * m * n + i0 * n + j0;
    blas.sgemm(
      s.transA,
      s.transB,
      i1 - i0,
      j1 - j0,
      k,
      ops.a.subarray(a),
      lda,
      ops.b.subarray(b),
      ldb,
      ops.c.subarray(c),
      n,
    );
  }
}

/** Thread `t` of `threads`'s contiguous share of `count` parts, as `[from, to)`. */
export function shareOf(count: number, t: number, threads: number): [number, number] {
  return [Math.floor((count * t) / threads), Math.floor((count * (t + 1)) / threads)];
}

/**
 * Thread `t`'s share of the product described by the `Gemm` descriptor at byte `job` of
 * `memory`, its operands in that memory too.
 */
export function runSgemmShare(
  blas: OpenBlas,
  memory: WebAssembly.Memory,
  job: number,
  t: number,
): void {
  const d = new Int32Array(memory.buffer, job, GEMM.words);
  const heap = new Float32Array(memory.buffer);
  const s: GemmShape = {
    m: d[GEMM.m],
    n: d[GEMM.n],
    k: d[GEMM.k],
    transA: d[GEMM.transA] !== 0,
    transB: d[GEMM.transB] !== 0,
    batch: d[GEMM.batch],
  };
  const ops = {
    a: heap,
    aAt: d[GEMM.a] / 4,
    b: heap,
    bAt: d[GEMM.b] / 4,
    c: heap,
    cAt: d[GEMM.c] / 4,
  };
  const parts = sgemmParts(s);
  const [from, to] = shareOf(parts.length, t, d[GEMM.threads]);
  runSgemmParts(blas, s, ops, parts, from, to);
}
