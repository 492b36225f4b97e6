/**
 * The softmax pieces of `[rows, cols]` logits that the cross-entropy's loss, its gradient and
 * the metric tally all start from: each row's maximum, the exponentials of the row shifted by
 * it, and their sum, in float64 and summed in column order. Computed once, they give each
 * consumer exactly the values it would compute itself.
 *
 * @module
 */

/** Each row's maximum and exponential sum, and `exp(x − max)` of every entry. */
export interface RowExps {
  /** `[rows]`: the row's maximum (NaN when the row holds NaN). */
  max: Float64Array;
  /** `[rows]`: `Σ exp(x − max)` over the row, in column order. */
  sum: Float64Array;
  /** `[rows * cols]`: `exp(x − max)` of each entry. */
  exps: Float64Array;
}

/** The {@link RowExps} of `[rows, cols]` `x`, written into `out` when given (sized to fit). */
export function rowExps(x: Float32Array, rows: number, cols: number, out?: RowExps): RowExps {
  const e = out ?? {
    max: new Float64Array(rows),
    sum: new Float64Array(rows),
    exps: new Float64Array(rows * cols),
  };
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, x[o + c]);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += e.exps[o + c] = Math.exp(x[o + c] - max);
    e.max[r] = max;
    e.sum[r] = sum;
  }
  return e;
}
