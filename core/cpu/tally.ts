/**
 * The CPU reference of the fused metric tally: a batch's loss, correct predictions and
 * predictive entropy (bits) added to running sums in one pass.
 *
 * @module
 */

import { rowEntropyBits } from "../metrics/entropy.ts";

/** See `Backend.tallyPredictions`. */
export function tallyPredictionsHost(
  sums: Float32Array,
  logits: Float32Array,
  labels: Float32Array,
  loss: number,
  lossScale: number,
  rows: number,
  cols: number,
): void {
  let hits = 0, entropy = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[o + c] > logits[o + best]) best = c;
    if (best === labels[r]) hits++;
    entropy += rowEntropyBits(logits, o, cols);
  }
  sums[0] += loss * lossScale;
  sums[1] += hits;
  sums[2] += entropy;
}
