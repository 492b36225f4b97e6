/**
 * The length of a job's flat gradient buffer, known before `fit` builds the trainer: a
 * rank's ring endpoint must know every chunk's length before the first step, and a fast
 * peer may send before this rank has built its model.
 *
 * @module
 */

import { flatLayout } from "../core/nn/flat_parameters.ts";
import { buildModel, type DataShape } from "../core/nn/models.ts";
import { Rng } from "../core/rng.ts";
import type { TrainConfig } from "../core/train/config.ts";

/**
 * Floats in the flat gradient that `buildTrainer(config, backend, data)` binds on a
 * backend with view alignment `viewAlignment`, from the same layout `bindParameters` uses.
 *
 * @example
 * ```ts
 * import { gradientLength } from "./gradient_length.ts";
 * import { defaultTrainConfig } from "../core/train/config.ts";
 * gradientLength({ ...defaultTrainConfig, model: "784-32-10" }, 1); // 25450
 * ```
 */
export function gradientLength(
  config: TrainConfig,
  viewAlignment: number,
  data?: DataShape,
): number {
  const { model } = buildModel(config, new Rng(config.seed), data);
  return flatLayout(model.namedParameters(), viewAlignment).size;
}
