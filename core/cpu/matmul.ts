/**
 * Plain matrix product on host arrays: the reference every faster kernel is checked
 * against, written so that V8 keeps the inner loop over contiguous rows.
 *
 * @module
 */

/**
 * `op(A)·op(B)` into a new `[m, n]` array, where `A` is `[m, k]` (`[k, m]` if `transA`) and
 * `B` is `[k, n]` (`[n, k]` if `transB`). Accumulates in f32, like BLAS sgemm.
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
  const bRows = transB ? transpose(b, n, k) : b;
  const aRows = transA ? transpose(a, k, m) : a;
  const c = new Float32Array(m * n);
  // Four output rows at a time reuse each loaded row of B four times.
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const c0 = i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
    for (let p = 0; p < k; p++) {
      const a0 = aRows[i * k + p];
      const a1 = aRows[(i + 1) * k + p];
      const a2 = aRows[(i + 2) * k + p];
      const a3 = aRows[(i + 3) * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const bv = bRows[bp + j];
        c[c0 + j] += a0 * bv;
        c[c1 + j] += a1 * bv;
        c[c2 + j] += a2 * bv;
        c[c3 + j] += a3 * bv;
      }
    }
  }
  for (; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = aRows[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += av * bRows[bp + j];
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
