/**
 * Plain matrix product on host arrays: the reference every faster kernel is checked
 * against. A 4×4 block of outputs is accumulated in locals over the whole of k, so the
 * inner loop does sixteen multiply-adds per eight loads and no stores.
 *
 * @module
 */

/**
 * `op(A)·op(B)` into a new `[m, n]` array, where `A` is `[m, k]` (`[k, m]` if `transA`) and
 * `B` is `[k, n]` (`[n, k]` if `transB`). Each output is summed over k in order, in double
 * precision, then rounded to f32.
 */
export function matmulHost(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Float32Array {
  const A = transA ? transpose(a, k, m) : a;
  const B = transB ? transpose(b, n, k) : b;
  const c = new Float32Array(m * n);
  const m4 = m - (m % 4), n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, bp = j; p < k; p++, bp += n) {
        const b0 = B[bp], b1 = B[bp + 1], b2 = B[bp + 2], b3 = B[bp + 3];
        const x0 = A[a0 + p], x1 = A[a1 + p], x2 = A[a2 + p], x3 = A[a3 + p];
        c00 += x0 * b0, c01 += x0 * b1, c02 += x0 * b2, c03 += x0 * b3;
        c10 += x1 * b0, c11 += x1 * b1, c12 += x1 * b2, c13 += x1 * b3;
        c20 += x2 * b0, c21 += x2 * b1, c22 += x2 * b2, c23 += x2 * b3;
        c30 += x3 * b0, c31 += x3 * b1, c32 += x3 * b2, c33 += x3 * b3;
      }
      let o = i * n + j;
      c[o] = c00, c[o + 1] = c01, c[o + 2] = c02, c[o + 3] = c03, o += n;
      c[o] = c10, c[o + 1] = c11, c[o + 2] = c12, c[o + 3] = c13, o += n;
      c[o] = c20, c[o + 1] = c21, c[o + 2] = c22, c[o + 3] = c23, o += n;
      c[o] = c30, c[o + 1] = c31, c[o + 2] = c32, c[o + 3] = c33;
    }
  }
  // Edges the 4×4 blocks do not cover: the last m % 4 rows, and the last n % 4 columns.
  for (let i = 0; i < m; i++) {
    for (let j = i < m4 ? n4 : 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += A[i * k + p] * B[p * n + j];
      c[i * n + j] = acc;
    }
  }
  return c;
}

/** Transpose of a row-major `[rows, cols]` array. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  }
  return t;
}
