/**
 * `save` and `load`: a model (and optionally its optimizer) to and from one checkpoint
 * file, in the format that `gradmesh train` writes and resumes (see `checkpoint.ts`), so
 * a checkpoint of either can be loaded by the other.
 *
 * @module
 */

import { CheckpointError, UsageError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import type { TrainingOptimizer } from "../optim/training_optimizer.ts";
import { type Checkpoint, loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { extraStates, restoreModuleState } from "./module_state.ts";

/** What {@link save} writes beside the model. */
export interface SaveOptions {
  /** Its state is saved too (`optim.`-prefixed tensors), and its step count. */
  readonly optimizer?: TrainingOptimizer;
  /** Epochs done. Default 0. */
  readonly epoch?: number;
  /**
   * The run's configuration (`train`'s flags, camelCase), which `train --resume` and the
   * CLI's other commands rebuild the model from. Default `{}`.
   */
  readonly config?: Record<string, unknown>;
}

const OPTIM = "optim.";

/**
 * Writes `model`'s parameters, buffers and modules' extra state (and `options.optimizer`'s
 * state) to the safetensors checkpoint `path`, atomically: a crash leaves the previous
 * file whole.
 *
 * @example
 * ```ts
 * import { createCpuBackend, Linear, load, Rng, save } from "../../mod.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await save(path, new Linear(2, 1, new Rng(0)).to(createCpuBackend()));
 * const copy = new Linear(2, 1, new Rng(1));
 * await load(path, copy);
 * console.log((await copy.stateDict())["weight"].shape); // [ 1, 2 ]
 * ```
 */
export async function save(path: string, model: Module, options: SaveOptions = {}): Promise<void> {
  const state = await model.stateDict();
  const slices = await options.optimizer?.stateSlices() ?? [];
  const moduleState = extraStates(model);
  await saveCheckpoint(path, {
    params: Object.entries(state).map(([name, t]) => ({ name, shape: [...t.shape], data: t.data })),
    optimizer: slices.map((s) => ({ name: OPTIM + s.name, shape: [...s.shape], data: s.data })),
    epoch: options.epoch ?? 0,
    step: options.optimizer?.stepCount ?? 0,
    rngState: [],
    config: options.config ?? {},
    ...(moduleState && { moduleState }),
  });
}

/**
 * Loads the checkpoint `path` into `model` (every parameter and buffer by name and shape,
 * nothing else) and, when given, `optimizer`; returns the whole checkpoint (epoch, step,
 * config). A checkpoint that does not fit throws a CheckpointError naming the file and
 * the tensor, and leaves the model as it was.
 */
export async function load(
  path: string,
  model: Module,
  optimizer?: TrainingOptimizer,
): Promise<Checkpoint> {
  const ckpt = await loadCheckpoint(path);
  const dict = Object.fromEntries(ckpt.params.map((t) => [t.name, t]));
  try {
    model.loadStateDict(dict);
    optimizer?.loadState(
      new Map(ckpt.optimizer.map((t) => [t.name.slice(OPTIM.length), t.data])),
      ckpt.step,
    );
  } catch (e) {
    if (e instanceof UsageError) throw new CheckpointError(path, e.message);
    throw e;
  }
  restoreModuleState(model, ckpt.params, ckpt.moduleState, path);
  return ckpt;
}
