/**
 * The flags of `train` (shared by `coordinator`, which takes the same run configuration)
 * and the {@link TrainConfig} they describe.
 *
 * @module
 */

import { loadCheckpoint } from "../core/checkpoint/checkpoint.ts";
import { objectiveDefs } from "../core/train/objective.ts";
import { defaultTrainConfig as d, type TrainConfig } from "../core/train/config.ts";
import type { OptimizerKind } from "../core/optim/kinds.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { meshFlags } from "./local_job.ts";

/** Flags of `train`; names and defaults follow PyTorch where it has them. */
export const trainFlags: FlagTable = {
  data: {
    type: "string",
    default: d.data,
    help: "dataset: mnist (bundled digits), fashion-mnist, or idx:DIR",
  },
  model: { type: "string", default: d.model, help: "MLP layer sizes, input first" },
  activation: {
    type: "string",
    default: d.activation,
    choices: ["relu", "tanh", "sigmoid"],
    help: "hidden activation",
  },
  epochs: { type: "integer", default: d.epochs, min: 1, help: "passes over the training split" },
  "batch-size": { type: "integer", default: d.batchSize, min: 1, help: "global minibatch size" },
  optimizer: {
    type: "string",
    default: d.optimizer,
    choices: ["sgd", "adam", "adamw"],
    help: "optimizer",
  },
  lr: {
    type: "number",
    min: 0,
    help: "learning rate (default: 0.05 for sgd, 0.001 for adam/adamw)",
  },
  momentum: { type: "number", default: d.momentum, min: 0, help: "SGD momentum" },
  dampening: { type: "number", default: d.dampening, min: 0, help: "SGD dampening" },
  "weight-decay": {
    type: "number",
    min: 0,
    help: "L2 penalty (default: 1e-4 for sgd, 0 for adam, 0.01 for adamw)",
  },
  nesterov: { type: "boolean", default: false, help: "Nesterov momentum (SGD)" },
  beta1: { type: "number", default: d.beta1, min: 0, help: "Adam β₁" },
  beta2: { type: "number", default: d.beta2, min: 0, help: "Adam β₂" },
  eps: { type: "number", default: d.eps, min: 0, help: "Adam ε" },
  amsgrad: { type: "boolean", default: false, help: "AMSGrad variant of Adam/AdamW" },
  loss: {
    type: "string",
    default: d.loss,
    choices: Object.keys(objectiveDefs),
    help: "training loss (`catalog` lists each with its arguments)",
  },
  "softmax-output": {
    type: "boolean",
    default: false,
    help: "apply softmax to the model's output before the loss",
  },
  "label-smoothing": {
    type: "number",
    default: d.labelSmoothing,
    min: 0,
    help: "cross-entropy label smoothing ε",
  },
  margin: { type: "number", default: d.margin, help: "multi-margin loss margin" },
  "margin-p": { type: "integer", default: d.marginP, min: 1, help: "multi-margin loss p (1 or 2)" },
  "focal-gamma": { type: "number", default: d.focalGamma, min: 0, help: "focal loss γ" },
  "focal-alpha": { type: "number", default: d.focalAlpha, help: "focal loss α" },
  "smooth-l1-beta": { type: "number", default: d.smoothL1Beta, min: 0, help: "smooth-L1 β" },
  "huber-delta": { type: "number", default: d.huberDelta, min: 0, help: "Huber loss δ" },
  seed: { type: "integer", default: d.seed, min: 0, help: "seed for initialisation and shuffling" },
  normalize: {
    type: "boolean",
    default: false,
    help: "normalise inputs to zero mean, unit std (train-split stats)",
  },
  backend: {
    type: "string",
    default: "auto",
    choices: ["auto", "webgpu", "cpu"],
    help: "compute backend",
  },
  out: { type: "string", help: "output directory (default: runs/<date>-<time>)" },
  resume: { type: "string", help: "continue from this checkpoint (its configuration is reused)" },
  "eval-every": {
    type: "integer",
    default: 1,
    min: 1,
    help: "evaluate on the test split every N epochs",
  },
  "log-every": {
    type: "integer",
    default: 50,
    min: 1,
    help: "read training loss back every N steps",
  },
  workers: {
    type: "integer",
    default: 1,
    min: 1,
    help: "data-parallel worker processes on this machine (1: train in this process)",
  },
  ...meshFlags,
  quiet: { type: "boolean", default: false, help: "print only the final summary" },
  help: { type: "boolean", default: false, help: "show this help" },
};

/** The run configuration that parsed `train` flags describe (PyTorch's per-optimizer defaults). */
export function configFromFlags(v: FlagValues): TrainConfig {
  const optimizer = v.optimizer as OptimizerKind;
  const defaultLr = optimizer === "sgd" ? d.lr : 1e-3;
  const defaultDecay = { sgd: d.weightDecay, adam: 0, adamw: 1e-2 }[optimizer];
  return {
    data: v.data as string,
    model: v.model as string,
    activation: v.activation as string,
    epochs: v.epochs as number,
    batchSize: v["batch-size"] as number,
    optimizer,
    lr: (v.lr as number | undefined) ?? defaultLr,
    momentum: v.momentum as number,
    dampening: v.dampening as number,
    weightDecay: (v["weight-decay"] as number | undefined) ?? defaultDecay,
    nesterov: v.nesterov as boolean,
    amsgrad: v.amsgrad as boolean,
    beta1: v.beta1 as number,
    beta2: v.beta2 as number,
    eps: v.eps as number,
    loss: v.loss as string,
    softmaxOutput: v["softmax-output"] as boolean,
    labelSmoothing: v["label-smoothing"] as number,
    margin: v.margin as number,
    marginP: v["margin-p"] as number,
    focalGamma: v["focal-gamma"] as number,
    focalAlpha: v["focal-alpha"] as number,
    smoothL1Beta: v["smooth-l1-beta"] as number,
    huberDelta: v["huber-delta"] as number,
    seed: v.seed as number,
    normalize: v.normalize as boolean,
  };
}

/**
 * The configuration of `train` or `coordinator`: with `--resume`, the one saved in that
 * checkpoint, which shaped its state (only a given `--epochs` may extend it); otherwise
 * {@link configFromFlags}.
 */
export async function trainConfig(v: FlagValues, given: ReadonlySet<string>): Promise<TrainConfig> {
  const resume = v.resume as string | undefined;
  if (resume === undefined) return configFromFlags(v);
  const saved = (await loadCheckpoint(resume)).config as unknown as TrainConfig;
  return { ...d, ...saved, epochs: given.has("epochs") ? v.epochs as number : saved.epochs };
}
