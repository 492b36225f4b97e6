/**
 * Entropy in bits: of a probability distribution, and of the distribution a classifier
 * predicts (the softmax of its scores), averaged over rows. The training loop accumulates
 * the second on the device (`Backend.tallyPredictions`); the CPU backends call
 * {@link rowEntropyBits} from there.
 *
 * @module
 */

import { ShapeError } from "../errors.ts";

/**
 * `H(p) = −Σ pᵢ·log₂ pᵢ` of one distribution (0·log 0 = 0), like
 * `torch.distributions.Categorical(probs=p).entropy() / ln 2`; `p` is normalised first.
 * @example
 * ```ts
 * import { entropyBits } from "../../mod.ts";
 * console.log(entropyBits([0.5, 0.25, 0.25])); // 1.5
 * ```
 */
export function entropyBits(p: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0)) {
      throw new ShapeError("entropyBits", `probabilities must be ≥ 0, got ${p[i]} at ${i}`);
    }
    total += p[i];
  }
  if (!(total > 0) || !Number.isFinite(total)) {
    throw new ShapeError("entropyBits", `probabilities must have a positive finite sum`);
  }
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= (p[i] / total) * Math.log2(p[i] / total);
  return h;
}

/**
 * The entropy in bits of `softmax(z)` for the `cols` scores of `z` from `offset`:
 * `log₂ Σ eᶻ − Σ softmax(z)·z / ln 2`, shifted by the row's maximum so no score overflows.
 * A row holding NaN or ±∞ gives NaN (its distribution is not defined by finite scores).
 * @example
 * ```ts
 * import { rowEntropyBits } from "../../mod.ts";
 * console.log(rowEntropyBits([0, 0, 0, 0], 0, 4)); // 2
 * ```
 */
export function rowEntropyBits(z: ArrayLike<number>, offset: number, cols: number): number {
  let m = -Infinity;
  for (let c = 0; c < cols; c++) m = Math.max(m, z[offset + c]);
  let s = 0, t = 0;
  for (let c = 0; c < cols; c++) {
    const d = z[offset + c] - m;
    const e = Math.exp(d);
    s += e;
    t += e * d;
  }
  return entropyBitsOfSums(s, t);
}

/**
 * The entropy in bits of a softmax from the sums over its row of `e = exp(z − max)`: `s = Σ e`
 * and `t = Σ e·(z − max)` (what {@link rowEntropyBits} sums; the CPU tally sums them from
 * exponentials it already has).
 * @example
 * ```ts
 * import { entropyBitsOfSums } from "./entropy.ts";
 * console.log(entropyBitsOfSums(4, 0)); // 2: four equal scores
 * ```
 */
export function entropyBitsOfSums(s: number, t: number): number {
  return (Math.log(s) - t / s) / Math.LN2;
}

/**
 * The mean over rows of the entropy in bits of `softmax` of `[rows, cols]` scores: how
 * uncertain a classifier's predictions are, from 0 (one class certain) to log₂ cols.
 * @example
 * ```ts
 * import { predictiveEntropyBits } from "../../mod.ts";
 * console.log(predictiveEntropyBits([0, 0, 100, 0], 2, 2)); // ≈ 0.5
 * ```
 */
export function predictiveEntropyBits(
  logits: ArrayLike<number>,
  rows: number,
  cols: number,
): number {
  if (logits.length !== rows * cols || rows === 0 || cols === 0) {
    throw new ShapeError(
      "predictiveEntropyBits",
      `expected ${rows}×${cols} = ${rows * cols} scores (rows, cols ≥ 1), got ${logits.length}`,
    );
  }
  let h = 0;
  for (let r = 0; r < rows; r++) h += rowEntropyBits(logits, r * cols, cols);
  return h / rows;
}
