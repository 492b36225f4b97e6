/**
 * The CPU reference of the fused metric tally: a batch's loss, correct predictions and
 * predictive entropy (bits) added to running sums in one pass.
 *
 * @module
 */

import { entropyBitsOfSums } from "../metrics/entropy.ts";
import type { RowExps } from "./row_exps.ts";

/** See `Backend.tallyPredictions`; `e` holds the {@link RowExps} of `logits`. */
export function tallyPredictionsHost(
  sums: Float32Array,
  logits: Float32Array,
  labels: Float32Array,
  loss: number,
  lossScale: number,
  rows: number,
  cols: number,
  e: RowExps,
): void {
  let hits = 0, entropy = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[o + c] > logits[o + best]) best = c;
    if (best === labels[r]) hits++;
    let t = 0;
    for (let c = 0; c < cols; c++) t += e.exps[o + c] * (logits[o + c] - e.max[r]);
    entropy += entropyBitsOfSums(e.sum[r], t);
  }
  sums[0] += loss * lossScale;
  sums[1] += hits;
  sums[2] += entropy;
}
