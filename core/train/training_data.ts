/**
 * The data a training run loads for its configuration, checked against its model before
 * any step: what a single process and every data-parallel rank load alike.
 *
 * @module
 */

import type { DatasetSplit } from "../data/dataset.ts";
import { channelStats, normalize } from "../data/normalize.ts";
import { loadDataset } from "../data/source.ts";
import { UsageError } from "../errors.ts";
import { parseLayerSizes } from "../nn/mlp.ts";
import type { TrainConfig } from "../train/config.ts";

/**
 * Loads the split `config.data` names, normalised to the training split's statistics
 * when `config.normalize`, and checks that the model's input and output sizes fit it
 * (a `UsageError` naming `--model` otherwise).
 *
 * @example
 * ```ts ignore
 * import { loadTrainingData } from "./training_data.ts";
 * import { defaultTrainConfig } from "./config.ts";
 * const { train, test, name } = await loadTrainingData(defaultTrainConfig);
 * ```
 */
export async function loadTrainingData(config: TrainConfig): Promise<DatasetSplit> {
  const split = await loadDataset(config.data);
  let { train, test } = split;
  if (config.normalize) {
    const { mean, std } = channelStats(train);
    train = normalize(train, mean, std);
    test = normalize(test, mean, std);
  }
  const sizes = parseLayerSizes(config.model);
  const features = train.images.length / train.count;
  if (sizes[0] !== features) {
    throw new UsageError(
      "--model",
      `input size ${sizes[0]} does not match the data's ${features} values per sample`,
    );
  }
  if (sizes[sizes.length - 1] !== train.classes) {
    throw new UsageError(
      "--model",
      `output size ${sizes[sizes.length - 1]} does not match the data's ${train.classes} classes`,
    );
  }
  return { ...split, train, test };
}
