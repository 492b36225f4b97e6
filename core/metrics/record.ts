/**
 * The records of a metrics file: a `"step"` record every few training steps, an
 * `"epoch"` record at the end of each epoch. Keys follow PyTorch Lightning's
 * (`train_loss`, `train_acc`, `test_loss`, `test_acc`, `lr`); JSON Lines, CSV and
 * TensorBoard files all use them.
 *
 * @module
 */

/** Fields every record has. */
export interface MetricsFields {
  /** Epoch, counted from 1. */
  epoch: number;
  /** Optimizer steps since the start of the run. */
  step: number;
  /** Mean training loss (since the previous step record, or over the epoch). */
  train_loss: number;
  /** Training accuracy as a fraction. */
  train_acc: number;
  /** Learning rate in use. */
  lr: number;
  /** Training throughput. */
  samples_per_s: number;
  /** Seconds since the run started. */
  wall_s: number;
  /** Steps dropped so far by `--on-nonfinite skip-step` (absent when none). */
  skipped_steps?: number;
  /** Mean entropy in bits of the predicted distribution, softmax of the outputs (training). */
  train_entropy?: number;
}

/** A record written every few training steps. */
export interface StepRecord extends MetricsFields {
  /** A step record. */
  kind: "step";
}

/** A record written at the end of an epoch; test metrics are null when not evaluated. */
export interface EpochRecord extends MetricsFields {
  /** An epoch record. */
  kind: "epoch";
  /** Test loss, when evaluated. */
  test_loss: number | null;
  /** Test accuracy, when evaluated. */
  test_acc: number | null;
  /** Mean predictive entropy in bits on the test set (absent in older files). */
  test_entropy?: number | null;
  /** A regression run's test metrics (`core/metrics/regression_scores.ts`), when evaluated. */
  test_mse?: number;
  /** Root of the mean squared error on the test set. */
  test_rmse?: number;
  /** Mean absolute error on the test set. */
  test_mae?: number;
  /** Coefficient of determination on the test set. */
  test_r2?: number;
  /** Mean absolute percentage error on the test set. */
  test_mape?: number;
  /** Mean bias error (mean of prediction − target) on the test set. */
  test_mbe?: number;
}

/** The regression metrics an epoch record may hold. */
export const REGRESSION_KEYS = [
  "test_mse",
  "test_rmse",
  "test_mae",
  "test_r2",
  "test_mape",
  "test_mbe",
] as const;

/** One line of a metrics file. */
export type MetricsRecord = StepRecord | EpochRecord;
