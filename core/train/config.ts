/**
 * The configuration of a training run, and how a model, its flat parameters, an
 * optimizer and a trainer are built from it. Saved in checkpoints, so a resumed run
 * rebuilds exactly the same thing.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { bindParameters } from "../nn/flat_parameters.ts";
import { mlp, parseLayerSizes } from "../nn/mlp.ts";
import type { OptimizerKind } from "../optim/kinds.ts";
import { Optimizer } from "../optim/optimizer.ts";
import { Rng } from "../rng.ts";
import { defaultObjectiveArgs, type ObjectiveArgs, objectiveByName } from "./objective.ts";
import { Trainer } from "./trainer.ts";

/** Everything that determines a run's result, in flag names' camelCase. */
export interface TrainConfig extends ObjectiveArgs {
  data: string;
  model: string;
  activation: string;
  epochs: number;
  batchSize: number;
  optimizer: OptimizerKind;
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  amsgrad: boolean;
  beta1: number;
  beta2: number;
  eps: number;
  loss: string;
  seed: number;
  normalize: boolean;
}

/** The defaults of `deno task train`: MLP 784-128-10 with SGD on the bundled MNIST digits. */
export const defaultTrainConfig: TrainConfig = {
  data: "mnist",
  model: "784-128-10",
  activation: "relu",
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
  seed: 0,
  normalize: false,
};

/** Builds the model (initialised from `config.seed`), binds it to `backend`, and wraps it. */
export function buildTrainer(config: TrainConfig, backend: Backend): Trainer {
  const sizes = parseLayerSizes(config.model);
  const model = mlp(sizes, config.activation, new Rng(config.seed));
  const flat = bindParameters(backend, model.namedParameters());
  const optimizer = new Optimizer(config.optimizer, flat, {
    lr: config.lr,
    momentum: config.momentum,
    dampening: config.dampening,
    weightDecay: config.weightDecay,
    nesterov: config.nesterov,
    amsgrad: config.amsgrad,
    betas: [config.beta1, config.beta2],
    eps: config.eps,
  });
  return new Trainer(model, flat, optimizer, objectiveByName(config.loss, config), sizes[0]);
}
