/**
 * Regression samples as a train/test {@link DatasetSplit}: the project's fixed split, global
 * row k a test sample iff k % 5 == 4 (a fifth held out, the same rule as the bundled digits).
 *
 * @module
 */

import type { Dataset, DatasetSplit } from "./dataset.ts";

/** Rows of features and targets, one sample per row, row-major. */
export interface RegressionTable {
  /** `count × featureCount` values. */
  readonly features: Float32Array;
  /** `count × targetCount` values. */
  readonly targets: Float32Array;
  /** The number of samples (rows). */
  readonly count: number;
  /** Features per sample. */
  readonly featureCount: number;
  /** Target values per sample. */
  readonly targetCount: number;
}

/** Whether global row `k` belongs to the test split. */
export const isTestRow = (k: number): boolean => k % 5 === 4;

/**
 * Splits `table` into training and test samples (row k tests iff k % 5 == 4), in row order.
 *
 * @example
 * ```ts
 * import { splitRegression } from "./regression_split.ts";
 * const t = { features: Float32Array.of(0, 1, 2, 3, 4), targets: Float32Array.of(0, 2, 4, 6, 8),
 *   count: 5, featureCount: 1, targetCount: 1 };
 * const { train, test } = splitRegression("line", t);
 * console.log(train.count, test.labels); // 4 Float32Array(1) [ 8 ]
 * ```
 */
export function splitRegression(name: string, table: RegressionTable): DatasetSplit {
  const rows = Array.from({ length: table.count }, (_, k) => k);
  return {
    name,
    train: subset(table, rows.filter((k) => !isTestRow(k))),
    test: subset(table, rows.filter(isTestRow)),
  };
}

function subset(t: RegressionTable, rows: readonly number[]): Dataset {
  const f = t.featureCount, y = t.targetCount;
  const images = new Float32Array(rows.length * f);
  const labels = new Float32Array(rows.length * y);
  rows.forEach((k, i) => {
    images.set(t.features.subarray(k * f, (k + 1) * f), i * f);
    labels.set(t.targets.subarray(k * y, (k + 1) * y), i * y);
  });
  return { images, labels, count: rows.length, sampleShape: [f], classes: y, targets: y };
}
