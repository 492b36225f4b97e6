/**
 * What a job's collectives carry, known before `fit` builds the trainer: a rank's ring
 * endpoint must know every chunk's length before the first step, and a fast peer may send
 * before this rank has built its model.
 *
 * @module
 */

import { flatLayout } from "../core/nn/flat_parameters.ts";
import { buildModel, type DataShape } from "../core/nn/models.ts";
import { BatchNorm } from "../core/nn/batch_norm.ts";
import { Rng } from "../core/rng.ts";
import type { TrainConfig } from "../core/train/config.ts";

/** The sizes a job's {@link BucketPlan} is made from. */
export interface MeshLayout {
  /** Floats in the flat gradient. */
  readonly gradientLength: number;
  /** Channels of each batch norm layer with `--sync-bn` (none without). */
  readonly syncBatchNorm: readonly number[];
}

/**
 * The layout of the trainer that `buildTrainer(config, backend, data)` makes on a backend
 * with view alignment `viewAlignment`, from the same layout `bindParameters` uses.
 *
 * @example
 * ```ts
 * import { meshLayout } from "./mesh_layout.ts";
 * import { defaultTrainConfig } from "../core/train/config.ts";
 * meshLayout({ ...defaultTrainConfig, model: "784-32-10" }, 1).gradientLength; // 25450
 * ```
 */
export function meshLayout(
  config: TrainConfig,
  viewAlignment: number,
  data?: DataShape,
): MeshLayout {
  const { model } = buildModel(config, new Rng(config.seed), data);
  return {
    gradientLength: flatLayout(model.namedParameters(), viewAlignment).size,
    syncBatchNorm: config.syncBn ? model.modulesOfType(BatchNorm).map((bn) => bn.numFeatures) : [],
  };
}
