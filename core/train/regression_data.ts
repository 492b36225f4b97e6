/**
 * The data of a regression run: `csv:FILE` (targets named by `--target`), `npy:X.npy,Y.npy`
 * (features `[N]` or `[N, F]`, targets `[N]` or `[N, T]`), `synthetic:linear` or
 * `synthetic:sinc`, split by the project's rule (see `regression_split.ts`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { loadCsv } from "../data/csv.ts";
import type { DatasetSplit } from "../data/dataset.ts";
import { loadNpy, type NpyArray } from "../data/npy.ts";
import { type RegressionTable, splitRegression } from "../data/regression_split.ts";
import { syntheticTable } from "../data/synthetic.ts";
import { DataFormatError } from "../errors.ts";
import type { RegressionSettings, Task } from "./regression_settings.ts";

/** The `--data` forms that hold numeric targets. */
export const regressionDataForms = "csv:FILE, npy:X.npy,Y.npy, synthetic:linear or synthetic:sinc";

/** Whether `spec` names regression data rather than a labelled image set. */
export const isRegressionData = (spec: string): boolean => /^(csv|npy|synthetic):/.test(spec);

/** Columns per row of a 1-D or 2-D array. */
const width = (a: NpyArray) => a.shape[1] ?? 1;

async function npyTable(pair: string): Promise<RegressionTable> {
  const files = pair.split(",");
  if (files.length !== 2 || files.some((f) => f === "")) {
    throw new UsageError("data", `expected npy:X.npy,Y.npy (features, targets), got "npy:${pair}"`);
  }
  const [x, y] = await Promise.all(files.map(loadNpy));
  if (x.shape[0] !== y.shape[0]) {
    throw new DataFormatError(
      files[1],
      `header field 'shape': expected ${x.shape[0]} rows like ${files[0]}, got ${y.shape[0]}`,
    );
  }
  return {
    features: x.data,
    targets: y.data,
    count: x.shape[0],
    featureCount: width(x),
    targetCount: width(y),
  };
}

/**
 * Loads and splits the regression data `data` names, with `settings` and `seed` (synthetic
 * sets are drawn from it).
 *
 * @example
 * ```ts
 * import { loadRegressionData } from "./regression_data.ts";
 * import { defaultRegressionSettings } from "./regression_settings.ts";
 * const { train, test } = await loadRegressionData("synthetic:sinc", defaultRegressionSettings, 0);
 * console.log(train.count, test.count); // 800 200
 * ```
 */
export async function loadRegressionData(
  data: string,
  settings: RegressionSettings,
  seed: number,
): Promise<DatasetSplit> {
  const [form, rest] = [data.slice(0, data.indexOf(":")), data.slice(data.indexOf(":") + 1)];
  if (rest === "") throw new UsageError("data", `expected ${regressionDataForms}, got "${data}"`);
  const table = form === "csv"
    ? await loadCsv(rest, { target: settings.target, header: settings.csvHeader })
    : form === "npy"
    ? await npyTable(rest)
    : syntheticTable(rest, seed, settings.noise);
  if (table.count === 0) throw new DataFormatError(rest, "holds no samples");
  return splitRegression(data, table);
}

/**
 * Refuses a `--task` that does not fit `--data`: regression needs numeric targets, and
 * classification class labels (and CIFAR-100's `--label coarse` has no meaning for either).
 *
 * @example
 * ```ts
 * import { checkTaskData } from "./regression_data.ts";
 * checkTaskData({ task: "regression", data: "synthetic:sinc" }); // fine
 * ```
 */
export function checkTaskData(config: { task: Task; data: string; label?: string }): void {
  const numeric = isRegressionData(config.data);
  if (numeric && config.label === "coarse") {
    throw new UsageError(
      "label",
      `coarse labels exist only for cifar100:DIR, got --data "${config.data}"`,
    );
  }
  if (config.task === "regression" && !numeric) {
    throw new UsageError(
      "data",
      `--task regression needs numeric targets: expected ${regressionDataForms}, got "${config.data}"`,
    );
  }
  if (config.task === "classification" && numeric) {
    throw new UsageError("task", `${config.data} holds numeric targets: give --task regression`);
  }
}
