/**
 * The small dense linear algebra of PowerSGD on row-major float32 matrices: the two
 * products that compress a gradient matrix into its factors, the product that rebuilds it,
 * and the Gram-Schmidt orthogonalisation of a factor's columns (PyTorch's
 * `_orthogonalize_gram_schmidt`). Sums run in float64 and land in float32.
 *
 * @module
 */

/**
 * `out` (rows × r) = `m` (rows × cols) · `q` (cols × r).
 *
 * @example
 * ```ts
 * import { multiply } from "./low_rank.ts";
 * const out = new Float32Array(2);
 * multiply(new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array([1, 1]), 1, out); // [3, 7]
 * ```
 */
export function multiply(
  m: Float32Array,
  rows: number,
  cols: number,
  q: Float32Array,
  r: number,
  out: Float32Array,
): void {
  const qt = transposed(q, cols, r);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let k = 0; k < r; k++) {
      const col = k * cols;
      let s = 0;
      for (let j = 0; j < cols; j++) s += m[row + j] * qt[col + j];
      out[i * r + k] = s;
    }
  }
}

/** `a` (n × r) transposed to r × n, so that each of its columns is contiguous. */
function transposed(a: Float32Array, n: number, r: number): Float32Array {
  const t = new Float32Array(n * r);
  for (let j = 0; j < n; j++) {
    for (let k = 0; k < r; k++) t[k * n + j] = a[j * r + k];
  }
  return t;
}

/**
 * `out` (cols × r) = `m`ᵀ · `p`, with `m` rows × cols and `p` rows × r.
 *
 * @example
 * ```ts
 * import { multiplyTransposed } from "./low_rank.ts";
 * const out = new Float32Array(2);
 * multiplyTransposed(new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array([1, 1]), 1, out); // [4, 6]
 * ```
 */
export function multiplyTransposed(
  m: Float32Array,
  rows: number,
  cols: number,
  p: Float32Array,
  r: number,
  out: Float32Array,
): void {
  const acc = new Float64Array(cols * r);
  for (let i = 0; i < rows; i++) {
    const row = i * cols;
    for (let k = 0; k < r; k++) {
      const pik = p[i * r + k];
      for (let j = 0; j < cols; j++) acc[j * r + k] += m[row + j] * pik;
    }
  }
  out.set(acc);
}

/**
 * `out` (rows × cols) = `p` · `q`ᵀ, with `p` rows × r and `q` cols × r.
 *
 * @example
 * ```ts
 * import { reconstruct } from "./low_rank.ts";
 * const out = new Float32Array(4);
 * reconstruct(new Float32Array([1, 2]), new Float32Array([3, 4]), 2, 2, 1, out); // [3, 4, 6, 8]
 * ```
 */
export function reconstruct(
  p: Float32Array,
  q: Float32Array,
  rows: number,
  cols: number,
  r: number,
  out: Float32Array,
): void {
  const qt = transposed(q, cols, r);
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    acc.fill(0);
    for (let k = 0; k < r; k++) {
      const pik = p[i * r + k], col = k * cols;
      for (let j = 0; j < cols; j++) acc[j] += pik * qt[col + j];
    }
    out.set(acc, i * cols);
  }
}

/**
 * Orthonormalises the `r` columns of `a` (n × r, row-major) in place, first to last:
 * each is divided by its norm plus `epsilon`, then its projection is taken out of the
 * columns after it. The work runs in float64, so the columns are orthonormal to float32
 * rounding. A column whose norm is 0 (with `epsilon` 0) becomes zeros, the recovery
 * PyTorch's hook intends, instead of NaN.
 *
 * @example
 * ```ts
 * import { orthogonalize } from "./low_rank.ts";
 * const a = new Float32Array([3, 1, 4, 2]); // columns [3, 4] and [1, 2]
 * orthogonalize(a, 2, 2, 0); // columns [0.6, 0.8] and [0.8, -0.6]
 * ```
 */
export function orthogonalize(a: Float32Array, n: number, r: number, epsilon: number): void {
  const w = Float64Array.from(a);
  for (let c = 0; c < r; c++) {
    let squares = 0;
    for (let i = 0; i < n; i++) squares += w[i * r + c] ** 2;
    const norm = Math.sqrt(squares) + epsilon;
    for (let i = 0; i < n; i++) w[i * r + c] = norm === 0 ? 0 : w[i * r + c] / norm;
    for (let d = c + 1; d < r; d++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += w[i * r + c] * w[i * r + d];
      for (let i = 0; i < n; i++) w[i * r + d] -= dot * w[i * r + c];
    }
  }
  a.set(w);
}
