/**
 * A trained model from a checkpoint, for `eval` and `predict`: the configuration saved in
 * it, the data it names (or `--data`, with the same normalisation), a backend, and a
 * trainer built for that data with the checkpoint's weights.
 *
 * @module
 */

import { type BackendKind, chooseBackend } from "../backends/backend_choice.ts";
import { type Checkpoint, loadCheckpoint } from "../core/checkpoint/checkpoint.ts";
import type { Backend } from "../core/backend.ts";
import type { DatasetSplit } from "../core/data/dataset.ts";
import { UsageError } from "../core/errors.ts";
import { buildTrainer, type TrainConfig } from "../core/train/config.ts";
import { loadModelWeights } from "../core/train/load_weights.ts";
import { configFromCheckpoint } from "../core/train/saved_config.ts";
import type { Trainer } from "../core/train/trainer.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import { cpuFlags, cpuSettings } from "./cpu_flags.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { trainFlags } from "./train_flags.ts";

/** Flags of a command that loads a checkpoint's model. */
export const checkpointModelFlags: FlagTable = {
  checkpoint: {
    type: "string",
    group: "checkpoints",
    help: "the checkpoint (.safetensors) of a run, e.g. runs/x/checkpoint.safetensors (required)",
  },
  data: {
    ...trainFlags.data,
    default: undefined,
    help: `${trainFlags.data.help}; default: the data the checkpoint was trained on`,
  },
  "batch-size": {
    type: "integer",
    group: "data",
    default: 1000,
    min: 1,
    help: "samples per forward pass",
  },
  backend: trainFlags.backend,
  ...cpuFlags,
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

/** A checkpoint's model, ready to run on its data. */
export interface CheckpointModel {
  readonly checkpoint: Checkpoint;
  readonly config: TrainConfig;
  readonly data: DatasetSplit;
  readonly trainer: Trainer;
  /** Frees the backend. */
  destroy(): void;
}

/** Loads what {@link checkpointModelFlags} name; `say` gets the backend line. */
export async function loadCheckpointModel(
  values: FlagValues,
  say: (line: string) => void,
): Promise<CheckpointModel> {
  const path = values.checkpoint as string | undefined;
  if (path === undefined) {
    throw new UsageError("--checkpoint", "required: the checkpoint to load (see --help)");
  }
  const checkpoint = await loadCheckpoint(path);
  const saved = configFromCheckpoint(checkpoint.config, path);
  const config = { ...saved, data: (values.data as string | undefined) ?? saved.data };
  const data = await loadTrainingData(config);
  const choice = await chooseBackend(values.backend as BackendKind, cpuSettings(values));
  say(`backend: ${choice.backend.name} (${choice.reason})`);
  try {
    const trainer = buildFor(config, choice.backend, data, values.data !== undefined);
    loadModelWeights(trainer, checkpoint, path);
    return { checkpoint, config, data, trainer, destroy: () => choice.backend.destroy() };
  } catch (e) {
    choice.backend.destroy();
    throw e;
  }
}

/** The trainer of `config` for `data`; a model that does not fit other `--data` names that flag. */
function buildFor(
  config: TrainConfig,
  backend: Backend,
  data: DatasetSplit,
  otherData: boolean,
): Trainer {
  try {
    return buildTrainer(config, backend, data.test);
  } catch (e) {
    if (!(otherData && e instanceof UsageError && e.flag === "model")) throw e;
    throw new UsageError(
      "--data",
      `does not fit the checkpoint's model ${config.model}: ${e.detail}`,
    );
  }
}
