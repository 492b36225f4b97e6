/**
 * The data a training run loads for its configuration: what a single process and every
 * data-parallel rank load alike. Building the model for it (`buildTrainer` with the data's
 * shape) checks that the model fits.
 *
 * @module
 */

import type { DatasetSplit } from "../data/dataset.ts";
import { channelStats, normalize } from "../data/normalize.ts";
import { loadDataset } from "../data/source.ts";
import type { TrainConfig } from "./config.ts";
import { checkTaskData, loadRegressionData } from "./regression_data.ts";

/**
 * Loads the split `config.data` names (numeric targets for `--task regression`), normalised to the training split's statistics
 * when `config.normalize`.
 *
 * @example
 * ```ts ignore
 * import { loadTrainingData } from "./training_data.ts";
 * import { defaultTrainConfig } from "./config.ts";
 * const { train, test, name } = await loadTrainingData(defaultTrainConfig);
 * ```
 */
export async function loadTrainingData(config: TrainConfig): Promise<DatasetSplit> {
  checkTaskData(config);
  const split = config.task === "regression"
    ? await loadRegressionData(config.data, config, config.seed)
    : await loadDataset(config.data, { label: config.label });
  let { train, test } = split;
  if (config.normalize) {
    const { mean, std } = channelStats(train);
    train = normalize(train, mean, std);
    test = normalize(test, mean, std);
  }
  return { ...split, train, test };
}
