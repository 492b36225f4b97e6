/**
 * The CPU reference of the fused softmax cross-entropy, forward and logit gradient: plain
 * loops in double precision, each result rounded to f32 once.
 *
 * @module
 */

import type { CrossEntropySpec } from "../backend.ts";
import type { RowExps } from "./row_exps.ts";

/** Row `r`'s target class, or −1 when it is ignored (equal to ignoreIndex or out of range). */
function targetOf(labels: Float32Array, r: number, spec: CrossEntropySpec): number {
  const y = labels[r];
  return y >= 0 && y < spec.cols && y !== spec.ignoreIndex ? Math.trunc(y) : -1;
}

/** See `Backend.softmaxCrossEntropy`; `e` holds the {@link RowExps} of `x`. */
export function softmaxCrossEntropyHost(
  x: Float32Array,
  labels: Float32Array,
  weight: Float32Array | null,
  spec: CrossEntropySpec,
  e: RowExps,
): Float32Array {
  const { rows, cols, labelSmoothing: eps, reduction, scale } = spec;
  const losses = new Float32Array(reduction === "none" ? rows : 2);
  let total = 0, weights = 0;
  for (let r = 0; r < rows; r++) {
    const y = targetOf(labels, r, spec);
    if (y < 0) continue;
    const lse = e.max[r] + Math.log(e.sum[r]);
    const o = r * cols;
    const wy = weight ? weight[y] : 1;
    let loss = wy * (1 - eps) * (lse - x[o + y]);
    if (eps > 0) {
      let smooth = 0;
      for (let c = 0; c < cols; c++) smooth += (weight ? weight[c] : 1) * (lse - x[o + c]);
      loss += eps / cols * smooth;
    }
    if (reduction === "none") losses[r] = scale * loss;
    total += loss;
    weights += wy;
  }
  if (reduction !== "none") {
    losses[0] = scale * (reduction === "mean" ? total / weights : total);
    losses[1] = weights;
  }
  return losses;
}

/**
 * See `Backend.softmaxCrossEntropyBackward`; `e` holds the {@link RowExps} of the logits, and
 * each row's probabilities are its exponentials' shares of their sum.
 */
export function softmaxCrossEntropyBackwardHost(
  labels: Float32Array,
  weight: Float32Array | null,
  totals: Float32Array,
  gy: Float32Array,
  spec: CrossEntropySpec,
  e: RowExps,
): Float32Array {
  const { rows, cols, labelSmoothing: eps, reduction, scale } = spec;
  let weightTotal = cols;
  if (weight) {
    weightTotal = 0;
    for (let c = 0; c < cols; c++) weightTotal += weight[c];
  }
  const gx = new Float32Array(rows * cols);
  const spread = eps / cols;
  for (let r = 0; r < rows; r++) {
    const y = targetOf(labels, r, spec);
    if (y < 0) continue;
    const upstream = reduction === "none" ? gy[r] : gy[0];
    const coef = scale * (reduction === "mean" ? upstream / totals[1] : upstream);
    const o = r * cols, sum = e.sum[r];
    const hardScale = (weight ? weight[y] : 1) * (1 - eps);
    for (let c = 0; c < cols; c++) {
      const p = e.exps[o + c] / sum;
      const hard = hardScale * (p - (c === y ? 1 : 0));
      gx[o + c] = coef * (hard + spread * (weightTotal * p - (weight ? weight[c] : 1)));
    }
  }
  return gx;
}
