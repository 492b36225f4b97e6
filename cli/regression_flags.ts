/**
 * The flags of a regression run (`--task regression`): where its targets come from and
 * how its loss reduces them. Huber's δ and smooth L1's β keep their flags of the
 * classification losses, `--huber-delta` and `--smooth-l1-beta`.
 *
 * @module
 */

import { type CsvHeader, csvHeaderChoices } from "../core/data/csv.ts";
import { type NoiseKind, noiseKinds } from "../core/data/synthetic.ts";
import type { TrainConfig } from "../core/train/config.ts";
import {
  defaultRegressionSettings as d,
  type RegressionReduction,
  type RegressionSettings,
  type Task,
  tasks,
} from "../core/train/regression_settings.ts";
import type { FlagTable, FlagValues } from "./flags.ts";

/** The loss a regression run trains with when `--loss` is not given. */
export const DEFAULT_REGRESSION_LOSS = "mse";

/** Flags of {@link RegressionSettings}. */
export const regressionFlags: FlagTable = {
  task: {
    type: "string",
    group: "data",
    default: d.task,
    choices: tasks,
    help: "classification (class labels) or regression (numeric targets: --data csv:FILE, " +
      `npy:X.npy,Y.npy, synthetic:linear or synthetic:sinc; --loss default ${DEFAULT_REGRESSION_LOSS})`,
  },
  target: {
    type: "string",
    group: "data",
    default: d.target,
    help: "csv target columns: names or 0-based indices, comma-separated; empty: the last column",
  },
  "csv-header": {
    type: "string",
    group: "data",
    default: d.csvHeader,
    choices: csvHeaderChoices,
    help: "whether a csv file's first row names its columns (auto: when a cell is not a number)",
  },
  noise: {
    type: "string",
    group: "data",
    default: d.noise,
    choices: noiseKinds,
    help: "noise of synthetic data; impulse adds ±2..4 outliers to a tenth of the samples",
  },
  quantile: {
    type: "number",
    group: "optimization",
    default: d.quantile,
    min: 0,
    exclusiveMin: true,
    help: "quantile loss τ in (0, 1)",
  },
  reduction: {
    type: "string",
    group: "optimization",
    default: d.reduction,
    choices: ["mean", "sum"],
    help: "regression loss over the batch's targets: mean or sum (as PyTorch's reduction)",
  },
};

/** The {@link RegressionSettings} that parsed flags describe. */
export function regressionConfigFromFlags(v: FlagValues): RegressionSettings {
  return {
    task: v.task as Task,
    target: v.target as string,
    csvHeader: v["csv-header"] as CsvHeader,
    noise: v.noise as NoiseKind,
    quantile: v.quantile as number,
    reduction: v.reduction as RegressionReduction,
  };
}

/**
 * `config` with a regression run's default loss when `--loss` was not `given` (the flag's
 * default is a classification loss).
 */
export function withRegressionLoss(config: TrainConfig, given: ReadonlySet<string>): TrainConfig {
  return config.task === "regression" && !given.has("loss")
    ? { ...config, loss: DEFAULT_REGRESSION_LOSS }
    : config;
}
