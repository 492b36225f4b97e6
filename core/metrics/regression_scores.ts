/**
 * Every regression metric of a set of predictions at once: MSE, RMSE, MAE, R², MAPE and
 * MBE, each over `[N, T]` values as scikit-learn's `multioutput='uniform_average'` does
 * (the metric of each target column, averaged over the columns).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanBiasError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from "./regression.ts";

/** The regression metrics of a set of predictions. */
export interface RegressionScores {
  /** Mean squared error, `mean((y − ŷ)²)` (scikit-learn's `mean_squared_error`). */
  mse: number;
  /** Root of each column's mean squared error (scikit-learn's `root_mean_squared_error`). */
  rmse: number;
  /** Mean absolute error, `mean(|y − ŷ|)` (scikit-learn's `mean_absolute_error`). */
  mae: number;
  /** Coefficient of determination R², 1 for exact predictions (scikit-learn's `r2_score`). */
  r2: number;
  /** A fraction, not a percentage. */
  mape: number;
  /** Mean of prediction − target. */
  mbe: number;
}

const METRICS: Record<keyof RegressionScores, (y: number[], p: number[]) => number> = {
  mse: meanSquaredError,
  rmse: rootMeanSquaredError,
  mae: meanAbsoluteError,
  r2: r2Score,
  mape: meanAbsolutePercentageError,
  mbe: meanBiasError,
};

/**
 * The metrics of predictions `yPred` against `yTrue`, both `N × targets` values row-major.
 *
 * @example
 * ```ts
 * import { regressionScores } from "../../mod.ts";
 * console.log(regressionScores([1, 2, 3], [1, 2, 4], 1).r2); // 0.5
 * ```
 */
export function regressionScores(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  targets: number,
): RegressionScores {
  if (yTrue.length !== yPred.length || yTrue.length % targets !== 0) {
    throw new ShapeError(
      "regressionScores",
      `expected two arrays of N × ${targets} values, got ${yTrue.length} and ${yPred.length}`,
    );
  }
  const column = (a: ArrayLike<number>, t: number) =>
    Array.from({ length: a.length / targets }, (_, i) => a[i * targets + t]);
  const columns = Array.from({ length: targets }, (_, t) => t);
  const average = (metric: (y: number[], p: number[]) => number) =>
    columns.reduce((s, t) => s + metric(column(yTrue, t), column(yPred, t)), 0) / targets;
  return Object.fromEntries(
    Object.entries(METRICS).map(([name, metric]) => [name, average(metric)]),
  ) as unknown as RegressionScores;
}
