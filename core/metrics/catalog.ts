/**
 * The metric catalogue as data: each metric's function in `mod.ts`, its scikit-learn
 * counterpart, and its arguments.
 *
 * @module
 */

import { type CatalogArg, catalogArg as arg } from "../catalog.ts";

/** One metric. */
export interface MetricSpec {
  readonly name: string;
  /** The function `mod.ts` exports. */
  readonly fn: string;
  /** What scikit-learn calls it. */
  readonly sklearn: string;
  readonly args: readonly CatalogArg[];
}

const average = arg("average", "macro", "macro, micro or weighted");

/** Every metric. */
export const metricCatalog: readonly MetricSpec[] = [
  { name: "accuracy", fn: "accuracy", sklearn: "accuracy_score", args: [] },
  {
    name: "top-k-accuracy",
    fn: "topKAccuracy",
    sklearn: "top_k_accuracy_score",
    args: [arg("k", 2, "classes counted as a hit")],
  },
  { name: "confusion-matrix", fn: "confusionMatrix", sklearn: "confusion_matrix", args: [] },
  {
    name: "precision-recall-f1",
    fn: "precisionRecallF1",
    sklearn: "precision_recall_fscore_support",
    args: [average, arg("labels", null, "classes to include (default: all seen)")],
  },
  // No scikit-learn function; checked against torch.distributions.Categorical.
  { name: "entropy", fn: "entropyBits", sklearn: "scipy.stats.entropy(p, base=2)", args: [] },
  {
    name: "predictive-entropy",
    fn: "predictiveEntropyBits",
    sklearn: "mean of scipy.stats.entropy(softmax(logits), base=2, axis=1)",
    args: [],
  },
  { name: "mse", fn: "meanSquaredError", sklearn: "mean_squared_error", args: [] },
  {
    name: "rmse",
    fn: "rootMeanSquaredError",
    sklearn: "mean_squared_error(squared=False)",
    args: [],
  },
  { name: "mae", fn: "meanAbsoluteError", sklearn: "mean_absolute_error", args: [] },
  { name: "r2", fn: "r2Score", sklearn: "r2_score", args: [] },
  {
    name: "mape",
    fn: "meanAbsolutePercentageError",
    sklearn: "mean_absolute_percentage_error",
    args: [],
  },
];
