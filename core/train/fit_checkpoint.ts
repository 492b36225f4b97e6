/**
 * A training run's checkpoints as `fit` writes and resumes them: the parameters, buffers,
 * modules' extra state and optimizer state of a trainer, the epoch, and for a checkpoint
 * taken mid-epoch how far that epoch got. Each is checked for non-finite values before it
 * is written, and a resumed checkpoint must hold exactly the trainer's tensors.
 *
 * @module
 */

import { type EpochProgress, loadCheckpoint } from "../checkpoint/checkpoint.ts";
import { extraStates, readBuffers } from "../checkpoint/module_state.ts";
import type { NamedTensor } from "../checkpoint/named_tensor.ts";
import { DEFAULT_KEEP_CHECKPOINTS, saveInSeries } from "../checkpoint/series.ts";
import { requireTensorSet } from "../checkpoint/tensor_set.ts";
import { UsageError } from "../errors.ts";
import { checkpointLayout } from "./checkpoint_layout.ts";
import type { TrainConfig } from "./config.ts";
import { loadModelWeights } from "./load_weights.ts";
import type { Trainer } from "./trainer.ts";

/**
 * Writes `trainer`'s checkpoint taken after global step `at.globalStep` (`at.epoch` epochs
 * done, and `at.progress` into the next) as the newest of the series whose newest is always
 * `at.path`, keeping the newest `at.keep`.
 */
export async function saveFitCheckpoint(
  trainer: Trainer,
  config: TrainConfig,
  at: {
    epoch: number;
    globalStep: number;
    path: string;
    keep?: number;
    progress?: EpochProgress;
  },
): Promise<void> {
  const { epoch, globalStep, path, keep = DEFAULT_KEEP_CHECKPOINTS, progress } = at;
  await trainer.checkNonFinite();
  const { flat, optimizer } = trainer;
  const all = await flat.backend.read(flat.params);
  const params: NamedTensor[] = flat.slots.map((s) => ({
    name: s.name,
    shape: [...s.shape],
    data: all.slice(s.offset, s.offset + s.size),
  }));
  // L-BFGS's curvature history is not saved: its checkpoints hold the model only.
  const slices = await optimizer.stateSlices();
  const state = slices.map((s) => ({
    name: `optim.${s.name}`,
    shape: [...s.shape],
    data: s.data,
  }));
  const moduleState = extraStates(trainer.model);
  await saveInSeries(path, globalStep, {
    params: [...params, ...await readBuffers(trainer.model)],
    optimizer: state,
    epoch,
    step: optimizer.stepCount,
    rngState: [config.seed],
    config: config as unknown as Record<string, unknown>,
    ...(moduleState && { moduleState }),
    ...(progress && { epochProgress: progress }),
  }, keep);
}

/**
 * Loads parameters, buffers, modules' extra state and optimizer state; returns the number
 * of epochs already done and, for a checkpoint taken mid-epoch, how far the next one got.
 */
export async function restoreFitCheckpoint(
  trainer: Trainer,
  path: string,
): Promise<{ epoch: number; progress: EpochProgress | undefined }> {
  const { optimizer } = trainer;
  if (!optimizer.resumable) {
    throw new UsageError(
      "resume",
      "an L-BFGS run cannot continue exactly (its curvature history is not saved); start a new run",
    );
  }
  const ckpt = await loadCheckpoint(path);
  requireTensorSet(path, checkpointLayout(trainer, ckpt.step).optimizer, ckpt.optimizer);
  loadModelWeights(trainer, ckpt, path);
  optimizer.loadState(
    new Map(ckpt.optimizer.map((t) => [t.name.replace(/^optim\./, ""), t.data])),
    ckpt.step,
  );
  const progress = ckpt.epochProgress && {
    ...ckpt.epochProgress,
    loss: ckpt.epochProgress.loss ?? NaN,
    correct: ckpt.epochProgress.correct ?? NaN,
  };
  return { epoch: ckpt.epoch, progress };
}
