/**
 * `fitModel` (`fit` in `mod.ts`): trains any {@link Module} — a `Sequential` a user built,
 * or their own subclass — with the same trainer and epoch loop as `gradmesh train`:
 * shuffling by seed, metric read-backs, evaluation, metrics file, checkpoints, resumption,
 * and data parallelism when a launched worker hands it a mesh.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { createCpuBackend } from "../cpu/backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { UsageError } from "../errors.ts";
import { flatOf } from "../nn/flat_parameters.ts";
import type { Module } from "../nn/module.ts";
import { SGD } from "../optim/classes.ts";
import type { OptimizerName } from "../optim/catalog.ts";
import { LBFGS } from "../optim/lbfgs.ts";
import { Optimizer } from "../optim/optimizer.ts";
import type { TrainingOptimizer } from "../optim/training_optimizer.ts";
import { defaultTrainConfig, type TrainConfig } from "./config.ts";
import { fit, type FitCallbacks, type FitMesh, type FitResult } from "./fit.ts";
import { defaultObjectiveArgs, type ObjectiveArgs, objectiveByName } from "./objective.ts";
import { Trainer } from "./trainer.ts";

/** A data-parallel rank's mesh, made once the trainer (and so the gradient layout) exists. */
export interface MeshProvider {
  /** The mesh that `trainer`'s rank trains over; undefined for a job of one process. */
  meshFor(trainer: Trainer): FitMesh | undefined;
}

/** Options of {@link fitModel}; every field has a default. */
export interface ModelFitOptions extends FitCallbacks, Partial<ObjectiveArgs> {
  /** Where a model not on a backend yet is put. Default: the CPU reference backend. */
  readonly backend?: Backend;
  /** Built from the model's parameters. Default `new SGD(model.parameters(), { lr: 0.01 })`. */
  readonly optimizer?: TrainingOptimizer;
  /** A `--loss` name (`cross-entropy`, `nll`, `mse`, …). Default `cross-entropy`. */
  readonly loss?: string;
  /** Passes over the training set. Default 1. */
  readonly epochs?: number;
  /** Global batch size (split across ranks). Default 64. */
  readonly batchSize?: number;
  /** Seed of the shuffling. Default 0. */
  readonly seed?: number;
  /** One sample's shape as the model takes it. Default the data's `sampleShape`. */
  readonly inputShape?: readonly number[];
  /** Checkpoint written (atomically) after every epoch; none when absent. */
  readonly checkpointPath?: string;
  /** Metrics JSON Lines file; none when absent. */
  readonly metricsPath?: string;
  /** Continue from this checkpoint (one `fit` or `gradmesh train` wrote for this model). */
  readonly resume?: string;
  /** Evaluate on the test split every this many epochs (and after the last). Default 1. */
  readonly evalEvery?: number;
  /** Read the training loss back every this many steps. Default 50. */
  readonly logEvery?: number;
  /** The mesh of a data-parallel rank (what `launch` hands its `main`); none: one process. */
  readonly distributed?: MeshProvider;
}

/**
 * Trains `model` on `data.train` and evaluates it on `data.test`, like `gradmesh train`
 * does with a model it builds. A model not on a backend yet is put on `options.backend`.
 *
 * @example
 * ```ts
 * import { fit, Linear, ReLU, Rng, Sequential } from "../../mod.ts";
 * const rng = new Rng(0);
 * const images = Float32Array.from({ length: 64 * 2 }, () => rng.normal());
 * const labels = Float32Array.from({ length: 64 }, (_, i) => images[2 * i] > 0 ? 1 : 0);
 * const split = { images, labels, count: 64, sampleShape: [2], classes: 2 };
 * const model = new Sequential(new Linear(2, 8, rng), new ReLU(), new Linear(8, 2, rng));
 * const { final } = await fit(model, { train: split, test: split }, { epochs: 2, batchSize: 16 });
 * console.log(final!.count); // 64
 * ```
 */
export async function fitModel(
  model: Module,
  data: { train: Dataset; test: Dataset },
  options: ModelFitOptions = {},
): Promise<FitResult> {
  if (!model.parameters().some((p) => p.isBound)) model.to(options.backend ?? createCpuBackend());
  const flat = flatOf(model.parameters());
  const optimizer = options.optimizer ?? new SGD(model.parameters(), { lr: 0.01 });
  if ((optimizer instanceof Optimizer || optimizer instanceof LBFGS) && optimizer.flat !== flat) {
    throw new UsageError("optimizer", "expected an optimizer built from this model's parameters");
  }
  const config: TrainConfig = {
    ...defaultTrainConfig,
    ...objectiveArgsOf(options),
    model: model.constructor.name,
    epochs: options.epochs ?? 1,
    batchSize: options.batchSize ?? 64,
    seed: options.seed ?? 0,
    loss: options.loss ?? "cross-entropy",
    optimizer: optimizerNameOf(optimizer),
    lr: optimizer.lr,
  };
  const objective = objectiveByName(config.loss, config);
  const inputShape = options.inputShape ?? data.train.sampleShape;
  const trainer = new Trainer(model, flat, optimizer, objective, inputShape);
  const mesh = options.distributed?.meshFor(trainer);
  const root = (mesh?.rank ?? 0) === 0;
  return await fit(trainer, config, data, {
    checkpointPath: root ? options.checkpointPath ?? null : null,
    metricsPath: root ? options.metricsPath ?? null : null,
    resume: options.resume,
    evalEvery: options.evalEvery ?? 1,
    logEvery: options.logEvery ?? 50,
    mesh,
  }, options);
}

function optimizerNameOf(optimizer: TrainingOptimizer): OptimizerName {
  if (optimizer instanceof LBFGS) return "lbfgs";
  return optimizer instanceof Optimizer ? optimizer.kind : "sgd";
}

function objectiveArgsOf(options: Partial<ObjectiveArgs>): Partial<ObjectiveArgs> {
  const keys = Object.keys(defaultObjectiveArgs).filter((k) => k in options);
  return Object.fromEntries(keys.map((k) => [k, options[k as keyof ObjectiveArgs]]));
}
