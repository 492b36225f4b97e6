/**
 * Regression metrics on the host, with scikit-learn's definitions: MSE, RMSE, MAE, R² and
 * MAPE. Inputs are read as float64 (a `Float32Array` is widened exactly).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";

function residuals(metric: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number[] {
  if (yTrue.length !== yPred.length || yTrue.length === 0) {
    throw new ShapeError(
      metric,
      `yTrue and yPred must be non-empty and of equal length, got ${yTrue.length} and ${yPred.length}`,
    );
  }
  return Array.from(yTrue, (y, i) => y - yPred[i]);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mse = (metric: string, yTrue: ArrayLike<number>, yPred: ArrayLike<number>) =>
  mean(residuals(metric, yTrue, yPred).map((r) => r * r));

/**
 * `mean((y − ŷ)²)` (`mean_squared_error`).
 * @example
 * ```ts
 * import { meanSquaredError } from "../../mod.ts";
 * console.log(meanSquaredError([1, 2], [1, 4])); // 2
 * ```
 */
export function meanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mse("meanSquaredError", yTrue, yPred);
}

/**
 * `√MSE` (`mean_squared_error(squared=False)`).
 * @example
 * ```ts
 * import { rootMeanSquaredError } from "../../mod.ts";
 * console.log(rootMeanSquaredError([0, 0], [3, 3])); // 3
 * ```
 */
export function rootMeanSquaredError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return Math.sqrt(mse("rootMeanSquaredError", yTrue, yPred));
}

/**
 * `mean(|y − ŷ|)` (`mean_absolute_error`).
 * @example
 * ```ts
 * import { meanAbsoluteError } from "../../mod.ts";
 * console.log(meanAbsoluteError([1, 2], [2, 4])); // 1.5
 * ```
 */
export function meanAbsoluteError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mean(residuals("meanAbsoluteError", yTrue, yPred).map(Math.abs));
}

/**
 * `1 − Σ(y − ŷ)² / Σ(y − ȳ)²` (`r2_score`); for constant `y` it is 1 when the
 * prediction is exact and 0 otherwise, as with scikit-learn's `force_finite=True`; NaN
 * for a single sample, where scikit-learn warns that it is not defined.
 * @example
 * ```ts
 * import { r2Score } from "../../mod.ts";
 * console.log(r2Score([1, 2, 3], [1, 2, 4])); // 0.5
 * ```
 */
export function r2Score(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const res = residuals("r2Score", yTrue, yPred);
  if (res.length < 2) return NaN;
  const yMean = mean(Array.from(yTrue));
  const ssRes = res.reduce((a, r) => a + r * r, 0);
  const ssTot = Array.from(yTrue).reduce((a, y) => a + (y - yMean) ** 2, 0);
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/**
 * `mean(|y − ŷ| / max(|y|, ε))` with ε the float64 machine epsilon
 * (`mean_absolute_percentage_error`; a fraction, not a percentage).
 * @example
 * ```ts
 * import { meanAbsolutePercentageError } from "../../mod.ts";
 * console.log(meanAbsolutePercentageError([2, 4], [1, 5])); // 0.375
 * ```
 */
export function meanAbsolutePercentageError(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
): number {
  const res = residuals("meanAbsolutePercentageError", yTrue, yPred);
  return mean(res.map((r, i) => Math.abs(r) / Math.max(Math.abs(yTrue[i]), Number.EPSILON)));
}

/**
 * `mean(ŷ − y)`: the mean bias error, positive when the predictions run high.
 * @example
 * ```ts
 * import { meanBiasError } from "../../mod.ts";
 * console.log(meanBiasError([1, 2], [2, 4])); // 1.5
 * ```
 */
export function meanBiasError(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return -mean(residuals("meanBiasError", yTrue, yPred));
}
