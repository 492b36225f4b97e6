/**
 * Classification metrics on the host, with scikit-learn's definitions: accuracy, top-k
 * accuracy, the confusion matrix, and precision, recall and F1 averaged macro, micro or
 * weighted (`zero_division=0`: a ratio with an empty denominator counts as 0).
 *
 * Labels are class indices stored as numbers (a `Float32Array` read back from a tensor,
 * for example); scores are `[N, C]` row-major.
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";

/** How per-class scores combine, as in scikit-learn's `average` argument. */
export type Average = "macro" | "micro" | "weighted";

/** Options of {@link precisionRecallF1}. */
export interface PrecisionRecallF1Options {
  /** Default `macro`. */
  average?: Average;
  /**
   * The classes to score, in order; default: every class that occurs in `yTrue` or `yPred`
   * (scikit-learn's default). Pass them all to count classes that never occur.
   */
  labels?: readonly number[];
}

/** Precision, recall and F1 under one averaging. */
export interface PrecisionRecallF1 {
  /** Precision. */
  precision: number;
  /** Recall. */
  recall: number;
  /** F1 score. */
  f1: number;
}

function requirePairs(metric: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): void {
  if (yTrue.length !== yPred.length || yTrue.length === 0) {
    throw new ShapeError(
      metric,
      `yTrue and yPred must be non-empty and of equal length, got ${yTrue.length} and ${yPred.length}`,
    );
  }
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : 2 * p * r / (p + r));

/**
 * Fraction of samples whose predicted label equals the true one (`accuracy_score`).

 * @example
 * ```ts
 * import { accuracy } from "../../mod.ts";
 * console.log(accuracy([0, 1, 2, 2], [0, 1, 1, 2])); // 0.75
 * ```
 */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  requirePairs("accuracy", yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Fraction of samples whose true class is among the `k` highest of its `[N, C]` scores
 * (`top_k_accuracy_score`; among equal scores the higher class index ranks first, as
 * there).
 * @example
 * ```ts
 * import { topKAccuracy } from "../../mod.ts";
 * const scores = [0.1, 0.6, 0.3, 0.5, 0.2, 0.3];
 * console.log(topKAccuracy([1, 2], scores, 1)); // 0.5
 * ```
 */
export function topKAccuracy(
  yTrue: ArrayLike<number>,
  scores: ArrayLike<number>,
  k: number,
): number {
  const n = yTrue.length;
  const c = scores.length / n;
  if (n === 0 || !Number.isInteger(c)) {
    throw new ShapeError(
      "topKAccuracy",
      `scores must be [N, C] for ${n} labels, got ${scores.length} values`,
    );
  }
  if (!Number.isInteger(k) || k < 1) {
    throw new UsageError("topKAccuracy", `k must be a positive integer, got ${k}`);
  }
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    const own = scores[i * c + y];
    let above = 0;
    for (let j = 0; j < c; j++) {
      const s = scores[i * c + j];
      if (s > own || (s === own && j > y)) above++;
    }
    if (above < k) hits++;
  }
  return hits / n;
}

/**
 * `m[i][j]`: how many samples of true class `i` were predicted as `j`
 * (`confusion_matrix` with `labels = 0 … numClasses−1`).
 * @example
 * ```ts
 * import { confusionMatrix } from "../../mod.ts";
 * console.log(confusionMatrix([0, 1, 1], [0, 0, 1], 2)); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  numClasses: number,
): number[][] {
  requirePairs("confusionMatrix", yTrue, yPred);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const [t, p] = [yTrue[i], yPred[i]];
    if (
      !(Number.isInteger(t) && Number.isInteger(p) && t >= 0 && p >= 0 && t < numClasses &&
        p < numClasses)
    ) {
      throw new UsageError(
        "confusionMatrix",
        `labels must be integers in [0, ${numClasses}), got ${t} and ${p} at sample ${i}`,
      );
    }
    m[t][p]++;
  }
  return m;
}

/**
 * Precision `tp/(tp+fp)`, recall `tp/(tp+fn)` and F1 `2PR/(P+R)` per class, averaged
 * (`precision_recall_fscore_support` with `zero_division=0`): `macro` is the plain mean
 * over classes, `weighted` weighs each by its support, `micro` pools the counts first.
 * @example
 * ```ts
 * import { precisionRecallF1 } from "../../mod.ts";
 * const r = precisionRecallF1([0, 1, 1, 2], [0, 1, 2, 2], { average: "micro" });
 * console.log(r.f1); // 0.75
 * ```
 */
export function precisionRecallF1(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  options: PrecisionRecallF1Options = {},
): PrecisionRecallF1 {
  requirePairs("precisionRecallF1", yTrue, yPred);
  const { average = "macro" } = options;
  if (average !== "macro" && average !== "micro" && average !== "weighted") {
    throw new UsageError(
      "precisionRecallF1",
      `average must be macro, micro or weighted, got ${average}`,
    );
  }
  const labels = options.labels ?? [...new Set([...Array.from(yTrue), ...Array.from(yPred)])]
    .sort((a, b) => a - b);
  const index = new Map(labels.map((l, i) => [l, i]));
  const tp = new Array<number>(labels.length).fill(0);
  const predicted = tp.slice(), actual = tp.slice();
  for (let i = 0; i < yTrue.length; i++) {
    const t = index.get(yTrue[i]), p = index.get(yPred[i]);
    if (t !== undefined) actual[t]++;
    if (p !== undefined) predicted[p]++;
    if (t !== undefined && t === p) tp[t]++;
  }
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (average === "micro") {
    const precision = ratio(total(tp), total(predicted));
    const recall = ratio(total(tp), total(actual));
    return { precision, recall, f1: f1Of(precision, recall) };
  }
  const precision = tp.map((x, c) => ratio(x, predicted[c]));
  const recall = tp.map((x, c) => ratio(x, actual[c]));
  const f1 = precision.map((p, c) => f1Of(p, recall[c]));
  const weights = average === "weighted" ? actual : actual.map(() => 1);
  const mean = (xs: number[]) => ratio(total(xs.map((x, c) => x * weights[c])), total(weights));
  return { precision: mean(precision), recall: mean(recall), f1: mean(f1) };
}
