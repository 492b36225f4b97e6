/**
 * The data a training run loads for its configuration, checked against its model before
 * any step: what a single process and every data-parallel rank load alike.
 *
 * @module
 */

import type { DatasetSplit } from "../data/dataset.ts";
import { channelStats, normalize } from "../data/normalize.ts";
import { loadDataset } from "../data/source.ts";
import { buildModel } from "../nn/models.ts";
import { Rng } from "../rng.ts";
import type { TrainConfig } from "../train/config.ts";

/**
 * Loads the split `config.data` names, normalised to the training split's statistics
 * when `config.normalize`, and checks that the model fits it (a `UsageError` naming
 * `--model` otherwise).
 *
 * @example
 * ```ts ignore
 * import { loadTrainingData } from "./training_data.ts";
 * import { defaultTrainConfig } from "./config.ts";
 * const { train, test, name } = await loadTrainingData(defaultTrainConfig);
 * ```
 */
export async function loadTrainingData(config: TrainConfig): Promise<DatasetSplit> {
  const split = await loadDataset(config.data, { label: config.label });
  let { train, test } = split;
  if (config.normalize) {
    const { mean, std } = channelStats(train);
    train = normalize(train, mean, std);
    test = normalize(test, mean, std);
  }
  buildModel(config, new Rng(config.seed), train);
  return { ...split, train, test };
}
