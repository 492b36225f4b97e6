/**
 * The metrics records of a regression run: the classification records without accuracy
 * (a regression model has no classes to hit), with the test split's regression metrics
 * as `test_mse`, `test_rmse`, `test_mae`, `test_r2`, `test_mape` and `test_mbe`.
 *
 * @module
 */

import type { MetricsRecord } from "../metrics/jsonl.ts";
import type { RegressionScores } from "../metrics/regression_scores.ts";

/**
 * `record` of a regression run, with `scores` of the test split when it was evaluated.
 *
 * @example
 * ```ts
 * import { regressionRecord } from "./regression_records.ts";
 * const r = regressionRecord({ kind: "step", epoch: 1, step: 5, train_loss: 0.3, train_acc: 0, lr: 0.1,
 *   samples_per_s: 100, wall_s: 1 });
 * console.log("train_acc" in r); // false
 * ```
 */
export function regressionRecord(
  record: MetricsRecord,
  scores?: RegressionScores | null,
): MetricsRecord {
  const { train_acc: _, ...rest } = record;
  if ("test_acc" in rest) delete (rest as { test_acc?: unknown }).test_acc;
  const tested = scores
    ? Object.fromEntries(Object.entries(scores).map(([k, v]) => [`test_${k}`, v]))
    : {};
  // Without accuracy it is no longer a classification record; readers take it as NaN.
  return { ...rest, ...tested } as unknown as MetricsRecord;
}
