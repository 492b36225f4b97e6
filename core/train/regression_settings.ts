/**
 * The settings of a regression run (`--task regression`): where its targets come from
 * and how its loss reduces them. Part of every run's configuration, so that checkpoints
 * and data-parallel workers rebuild the same data and loss.
 *
 * @module
 */

import type { CsvHeader } from "../data/csv.ts";
import type { NoiseKind } from "../data/synthetic.ts";

/** Classification (class indices, the default) or regression (numeric targets). */
export type Task = "classification" | "regression";

/** The choices of `--task`. */
export const tasks: readonly Task[] = ["classification", "regression"];

/** How a regression loss reduces over a batch, as PyTorch's `reduction`. */
export type RegressionReduction = "mean" | "sum";

/** The regression fields of a run configuration, flags' camelCase. */
export interface RegressionSettings {
  /** `classification` (the default) or `regression` (`--task`). */
  task: Task;
  /** CSV target columns, comma-separated names or 0-based indices; "" for the last column. */
  target: string;
  /** Whether a CSV file's first row names its columns. */
  csvHeader: CsvHeader;
  /** The noise of synthetic data. */
  noise: NoiseKind;
  /** The quantile τ of the quantile loss. */
  quantile: number;
  /** `mean` over every target of the batch (PyTorch's default) or `sum`. */
  reduction: RegressionReduction;
}

/** The defaults of {@link RegressionSettings}: a classification run. */
export const defaultRegressionSettings: RegressionSettings = {
  task: "classification",
  target: "",
  csvHeader: "auto",
  noise: "gaussian",
  quantile: 0.5,
  reduction: "mean",
};
