/**
 * `fitConfig`: the single-process shortcut that builds the trainer `config` names and fits
 * it; a data-parallel rank builds its trainer first instead, to take the mesh's layout
 * from it before training.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { buildTrainer, type TrainConfig } from "./config.ts";
import { fit, type FitCallbacks, type FitOptions, type FitResult } from "./fit.ts";

/**
 * Builds `config`'s trainer on `backend` (checked against the training data's shape) and
 * runs {@link fit} with it.
 */
export async function fitConfig(
  config: TrainConfig,
  backend: Backend,
  data: { train: Dataset; test: Dataset },
  options: FitOptions,
  callbacks: FitCallbacks = {},
): Promise<FitResult> {
  return await fit(buildTrainer(config, backend, data.train), config, data, options, callbacks);
}
