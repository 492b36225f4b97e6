/**
 * The configuration of a training run, and how a model, its flat parameters, an
 * optimizer and a trainer are built from it. Saved in checkpoints, so a resumed run
 * rebuilds exactly the same thing.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { UsageError } from "../errors.ts";
import type { AugmentOptions } from "../data/augment.ts";
import type { Cifar100Label } from "../data/cifar.ts";
import { bindParameters } from "../nn/flat_parameters.ts";
import { buildModel, type DataShape } from "../nn/models.ts";
import { BatchNorm } from "../nn/batch_norm.ts";
import type { OptimizerName } from "../optim/catalog.ts";
import type { GradClipping } from "../optim/clip.ts";
import { LBFGS, type LbfgsOptions } from "../optim/lbfgs.ts";
import { Optimizer, type OptimizerOptions } from "../optim/optimizer.ts";
import { Rng } from "../rng.ts";
import { defaultObjectiveArgs, type ObjectiveArgs } from "./objective.ts";
import { taskObjective } from "./regression_objective.ts";
import type { NonFinitePolicy } from "./nonfinite.ts";
import { defaultRegressionSettings, type RegressionSettings } from "./regression_settings.ts";
import { Trainer } from "./trainer.ts";

/** Everything that determines a run's result, in flag names' camelCase. */
export interface TrainConfig extends ObjectiveArgs, RegressionSettings {
  /** Dataset name or directory (`--data`). */
  data: string;
  /** Model name or MLP layer sizes (`--model`). */
  model: string;
  /** Activation name (`--activation`). */
  activation: string;
  /** The activation's arguments as a JSON object of PyTorch names; "" for none. */
  activationArgs: string;
  /** `default` or an initialiser name for every weight matrix and kernel. */
  init: string;
  /** The initialiser's arguments as a JSON object of PyTorch names; "" for none. */
  initArgs: string;
  /** MLP dropout after each hidden activation (0: none). */
  dropout: number;
  /** Passes over the training set. */
  epochs: number;
  /** Global batch size. */
  batchSize: number;
  /** Optimizer name. */
  optimizer: OptimizerName;
  /** Learning rate. */
  lr: number;
  /** Momentum (SGD, RMSprop). */
  momentum: number;
  /** Dampening (SGD). */
  dampening: number;
  /** Weight decay. */
  weightDecay: number;
  /** Nesterov momentum (SGD). */
  nesterov: boolean;
  /** AMSGrad (Adam, AdamW). */
  amsgrad: boolean;
  /** β₁ (Adam family). */
  beta1: number;
  /** β₂ (Adam family). */
  beta2: number;
  /** Term added to denominators for stability. */
  eps: number;
  /** The optimizer's other arguments (`--alpha`, `--rho`, `--centered`, …); absent ones take its defaults. */
  optimizerArgs?: OptimizerOptions | LbfgsOptions;
  /** Gradient clipping before each update (`--clip-grad-norm`, `--clip-grad-value`). */
  clip?: GradClipping;
  /** Loss name (`--loss`). */
  loss: string;
  /** `none` or a `schedulerDefs` name. */
  scheduler: string;
  /** The scheduler's arguments as a JSON object of PyTorch names; "" for none. */
  schedulerArgs: string;
  /** Seed of initialisation, shuffling and dropout. */
  seed: number;
  /** Normalise inputs by the training set's per-channel mean and std. */
  normalize: boolean;
  /** CIFAR-100's labels (`--label`). */
  label: Cifar100Label;
  /** Random crop and flip of training samples (`--random-crop`, `--hflip`). */
  augment: AugmentOptions;
  /** Batch norm statistics summed across data-parallel ranks (`--sync-bn`). */
  syncBn: boolean;
  /** What a non-finite gradient does (`--on-nonfinite`); absent: `stop`. */
  onNonFinite?: NonFinitePolicy;
  /** Micro-batches per optimizer step, gradients accumulated (`--accumulate`); absent: 1. */
  accumulate?: number;
}

/** The defaults of `deno task train`: MLP 784-128-10 with SGD on the bundled MNIST digits. */
export const defaultTrainConfig: TrainConfig = {
  data: "mnist",
  model: "784-128-10",
  activation: "relu",
  activationArgs: "",
  init: "default",
  initArgs: "",
  dropout: 0,
  epochs: 20,
  batchSize: 64,
  optimizer: "sgd",
  lr: 0.05,
  momentum: 0.9,
  dampening: 0,
  weightDecay: 1e-4,
  nesterov: false,
  amsgrad: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  loss: "cross-entropy",
  ...defaultObjectiveArgs,
  scheduler: "none",
  schedulerArgs: "",
  seed: 0,
  normalize: false,
  label: "fine",
  augment: { crop: 0, flip: false },
  syncBn: false,
  accumulate: 1,
  ...defaultRegressionSettings,
};

/**
 * Builds the model (initialised from `config.seed`, checked against `data` when given),
 * binds it to `backend`, and wraps it. `--sync-bn` needs a model with batch norm. A model
 * too large to allocate is a {@link UsageError} for the `model` field.
 */
export function buildTrainer(config: TrainConfig, backend: Backend, data?: DataShape): Trainer {
  try {
    return buildFrom(config, backend, data);
  } catch (e) {
    if (e instanceof RangeError && ALLOCATION_FAILURE.test(e.message)) {
      throw new UsageError("model", `${config.model} does not fit in memory (${e.message})`);
    }
    throw e;
  }
}

// What V8 says when a typed array cannot be allocated.
const ALLOCATION_FAILURE = /allocation failed|invalid typed array length|array buffer/i;

function buildFrom(config: TrainConfig, backend: Backend, data?: DataShape): Trainer {
  const { model, inputShape } = buildModel(config, new Rng(config.seed), data);
  if (config.syncBn && model.modulesOfType(BatchNorm).length === 0) {
    throw new UsageError("syncBn", `model ${config.model} has no batch norm layer`);
  }
  const flat = bindParameters(backend, model.namedParameters());
  const objective = taskObjective(config);
  // Regression targets per sample: the data's, else the model's outputs (one per target).
  const targets = config.task === "regression" ? data?.classes ?? 1 : 0;
  if (config.optimizer === "lbfgs") {
    const lbfgs = new LBFGS(flat, { lr: config.lr, ...config.optimizerArgs as LbfgsOptions });
    return new Trainer(model, flat, lbfgs, objective, inputShape, targets);
  }
  const optimizer = new Optimizer(config.optimizer, flat, {
    lr: config.lr,
    momentum: config.momentum,
    dampening: config.dampening,
    weightDecay: config.weightDecay,
    nesterov: config.nesterov,
    amsgrad: config.amsgrad,
    betas: [config.beta1, config.beta2],
    eps: config.eps,
    ...config.optimizerArgs,
    clip: config.clip,
  });
  return new Trainer(model, flat, optimizer, objective, inputShape, targets);
}
