/**
 * The flags of `train` (shared by `coordinator`, which takes the same run configuration)
 * and the {@link TrainConfig} they describe.
 *
 * @module
 */

import { activationNames } from "../core/nn/activations/registry.ts";
import { initNames } from "../core/nn/init_registry.ts";
import { schedulerDefs } from "../core/optim/schedulers/registry.ts";
import { lossNames } from "../core/train/regression_objective.ts";
import { type MarginForm, marginForms } from "../core/train/objective.ts";
import type { Cifar100Label } from "../core/data/cifar.ts";
import { defaultTrainConfig as d, type TrainConfig } from "../core/train/config.ts";
import { MAX_ACCUMULATE } from "../core/train/micro_batches.ts";
import { nonFinitePolicies, type NonFinitePolicy } from "../core/train/nonfinite.ts";
import { cpuFlags } from "./cpu_flags.ts";
import { dashboardFlags } from "./dashboard.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { checkpointFlags } from "./checkpoint_flags.ts";
import { meshFlags } from "./local_job.ts";
import { linkFlags } from "./link_flag.ts";
import { optimizerConfigFromFlags, optimizerFlags } from "./optimizer_flags.ts";
import {
  regressionConfigFromFlags,
  regressionFlags,
  withRegressionLoss,
} from "./regression_flags.ts";
import { resumedConfig } from "./resume_flags.ts";

/**
 * Most `--workers` on one machine: each is a process with its own runtime and ring port,
 * and one per GPU is the useful number (8 or 16 on the largest machines); past 256 a job
 * only exhausts processes and descriptors.
 */
export const MAX_LOCAL_WORKERS = 256;

/** Flags of `train`; names and defaults follow PyTorch where it has them. */
export const trainFlags: FlagTable = {
  data: {
    type: "string",
    group: "data",
    default: d.data,
    help: "dataset: mnist (bundled digits), fashion-mnist, idx:DIR, cifar10:DIR or cifar100:DIR; " +
      "with --task regression csv:FILE, npy:X.npy,Y.npy, synthetic:linear or synthetic:sinc",
  },
  ...regressionFlags,
  model: {
    type: "string",
    group: "model",
    default: d.model,
    help: "MLP layer sizes (input first), lenet5, allcnn-c, resnet20, or a layer stack " +
      "such as conv(6,5),relu,maxpool(2),flatten,linear(10) (docs/models.md)",
  },
  activation: {
    type: "string",
    group: "model",
    default: d.activation,
    choices: activationNames,
    help: "hidden activation (`catalog` lists each with its arguments)",
  },
  "activation-args": {
    type: "string",
    group: "model",
    default: d.activationArgs,
    help: 'its arguments in PyTorch\'s names, as JSON, e.g. {"negative_slope": 0.2}',
  },
  init: {
    type: "string",
    group: "model",
    default: d.init,
    choices: ["default", ...initNames],
    help: "initialiser of every weight matrix and kernel (default: PyTorch's per layer)",
  },
  "init-args": {
    type: "string",
    group: "model",
    default: d.initArgs,
    help: 'its arguments in PyTorch\'s names, as JSON, e.g. {"nonlinearity": "relu"}',
  },
  dropout: {
    type: "number",
    group: "model",
    default: d.dropout,
    min: 0,
    help: "MLP dropout probability after each hidden activation",
  },
  epochs: {
    type: "integer",
    group: "schedule",
    default: d.epochs,
    min: 1,
    help: "passes over the training split",
  },
  "batch-size": {
    type: "integer",
    group: "data",
    default: d.batchSize,
    min: 1,
    help: "global minibatch size",
  },
  accumulate: {
    type: "integer",
    default: d.accumulate,
    min: 1,
    max: MAX_ACCUMULATE,
    group: "optimization",
    help: "micro-batches per optimizer step: each worker's share of the batch runs in this " +
      "many parts, gradients summed, one all-reduce after the last (less activation memory)",
  },
  ...optimizerFlags,
  loss: {
    type: "string",
    group: "optimization",
    default: d.loss,
    choices: lossNames,
    help: "training loss (`catalog` lists each with its arguments)",
  },
  scheduler: {
    type: "string",
    group: "schedule",
    default: d.scheduler,
    choices: ["none", ...Object.keys(schedulerDefs)],
    help: "learning-rate schedule (`catalog` lists each with its arguments)",
  },
  "scheduler-args": {
    type: "string",
    group: "schedule",
    default: d.schedulerArgs,
    help: 'its arguments in PyTorch\'s names, as JSON, e.g. {"T_max": 10}',
  },
  "softmax-output": {
    type: "boolean",
    group: "model",
    default: false,
    help: "apply softmax to the model's output before the loss",
  },
  "label-smoothing": {
    type: "number",
    group: "optimization",
    default: d.labelSmoothing,
    min: 0,
    help: "cross-entropy label smoothing ε",
  },
  margin: {
    type: "number",
    group: "optimization",
    default: d.margin,
    help: "multi-margin loss margin",
  },
  "margin-p": {
    type: "integer",
    group: "optimization",
    default: d.marginP,
    min: 1,
    help: "multi-margin loss p (1 or 2)",
  },
  "margin-form": {
    type: "string",
    group: "optimization",
    default: d.marginForm,
    choices: marginForms,
    help: "multi-margin loss total: pytorch (divided by the classes C) or sum (not divided)",
  },
  "focal-gamma": {
    type: "number",
    group: "optimization",
    default: d.focalGamma,
    min: 0,
    help: "focal loss γ",
  },
  "focal-alpha": {
    type: "number",
    group: "optimization",
    default: d.focalAlpha,
    help: "focal loss α",
  },
  "smooth-l1-beta": {
    type: "number",
    group: "optimization",
    default: d.smoothL1Beta,
    min: 0,
    help: "smooth-L1 β",
  },
  "huber-delta": {
    type: "number",
    group: "optimization",
    default: d.huberDelta,
    min: 0,
    help: "Huber loss δ",
  },
  seed: {
    type: "integer",
    group: "general",
    default: d.seed,
    min: 0,
    help: "seed for initialisation and shuffling",
  },
  normalize: {
    type: "boolean",
    group: "data",
    default: false,
    help: "normalise inputs to zero mean, unit std (train-split stats)",
  },
  label: {
    type: "string",
    group: "data",
    default: d.label,
    choices: ["fine", "coarse"],
    help: "cifar100 labels: fine (100 classes) or coarse (20 superclasses)",
  },
  "random-crop": {
    type: "integer",
    group: "data",
    default: d.augment.crop,
    min: 0,
    help: "pad training images N pixels per side and crop back at random (0: off)",
  },
  hflip: {
    type: "boolean",
    group: "data",
    default: d.augment.flip,
    help: "mirror training images left-right with probability 0.5",
  },
  backend: {
    type: "string",
    group: "general",
    default: "auto",
    choices: ["auto", "webgpu", "cpu", "cpu-ref"],
    help: "compute backend (cpu-ref: the TypeScript reference)",
  },
  ...cpuFlags,
  out: { type: "string", group: "output", help: "output directory (default: runs/<date>-<time>)" },
  overwrite: {
    type: "boolean",
    group: "output",
    default: false,
    help: "replace the run already in --out (refused otherwise)",
  },
  resume: {
    type: "string",
    group: "checkpoints",
    help: "continue from this checkpoint (auto: the newest in --out, if any); its configuration " +
      "is kept: --epochs, --lr, --scheduler, --scheduler-args, --log-every and --eval-every " +
      "apply, other changes are refused",
  },
  "eval-every": {
    type: "integer",
    group: "schedule",
    default: 1,
    min: 1,
    help: "evaluate on the test split every N epochs",
  },
  "log-every": {
    type: "integer",
    group: "output",
    default: 50,
    min: 1,
    help: "read training loss back every N steps",
  },
  ...checkpointFlags,
  workers: {
    type: "integer",
    group: "parallel",
    default: 1,
    min: 1,
    max: MAX_LOCAL_WORKERS,
    help: `data-parallel worker processes on this machine, at most ${MAX_LOCAL_WORKERS} ` +
      "(1: train in this process)",
  },
  "sync-bn": {
    type: "boolean",
    group: "parallel",
    default: d.syncBn,
    help: "batch norm over the whole global batch: statistics summed across workers " +
      "(SyncBatchNorm); default: each worker's own shard, as PyTorch DDP",
  },
  "on-nonfinite": {
    type: "string",
    group: "optimization",
    default: nonFinitePolicies[0],
    choices: nonFinitePolicies,
    help: "a NaN or ±Inf gradient: stop (exit 1, naming step and parameter) or skip-step " +
      "(drop that step on every rank, as AMP's GradScaler; reads a flag back every step)",
  },
  ...meshFlags,
  ...linkFlags,
  tensorboard: {
    type: "boolean",
    group: "output",
    default: false,
    help: "also write the metrics as TensorBoard event files into OUT/tensorboard/",
  },
  ...dashboardFlags,
  quiet: { type: "boolean", group: "output", default: false, help: "print only the final summary" },
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

/** The run configuration that parsed `train` flags describe (PyTorch's per-optimizer defaults). */
export function configFromFlags(v: FlagValues): TrainConfig {
  return {
    data: v.data as string,
    model: v.model as string,
    activation: v.activation as string,
    activationArgs: v["activation-args"] as string,
    init: v.init as string,
    initArgs: v["init-args"] as string,
    dropout: v.dropout as number,
    epochs: v.epochs as number,
    batchSize: v["batch-size"] as number,
    ...optimizerConfigFromFlags(v),
    loss: v.loss as string,
    scheduler: v.scheduler as string,
    schedulerArgs: v["scheduler-args"] as string,
    softmaxOutput: v["softmax-output"] as boolean,
    labelSmoothing: v["label-smoothing"] as number,
    margin: v.margin as number,
    marginP: v["margin-p"] as number,
    marginForm: v["margin-form"] as MarginForm,
    focalGamma: v["focal-gamma"] as number,
    focalAlpha: v["focal-alpha"] as number,
    smoothL1Beta: v["smooth-l1-beta"] as number,
    huberDelta: v["huber-delta"] as number,
    seed: v.seed as number,
    normalize: v.normalize as boolean,
    label: v.label as Cifar100Label,
    augment: { crop: v["random-crop"] as number, flip: v.hflip as boolean },
    syncBn: v["sync-bn"] as boolean,
    accumulate: v.accumulate as number,
    onNonFinite: v["on-nonfinite"] as NonFinitePolicy,
    ...regressionConfigFromFlags(v),
  };
}

/**
 * The configuration of `train` or `coordinator`: with `--resume`, the one saved in that
 * checkpoint with the flags that may change applied (`resume_flags.ts`; `say` gets the
 * line that tells which), and the epochs it has done; otherwise {@link configFromFlags}.
 */
export async function trainConfig(
  v: FlagValues,
  given: ReadonlySet<string>,
  say: (line: string) => void = () => {},
): Promise<{ config: TrainConfig; doneEpochs: number }> {
  const resume = v.resume as string | undefined;
  if (resume === undefined) {
    return { config: withRegressionLoss(configFromFlags(v), given), doneEpochs: 0 };
  }
  const { config, note, doneEpochs } = await resumedConfig(
    resume,
    v,
    given,
    trainFlags,
    configFromFlags,
  );
  say(note);
  return { config, doneEpochs };
}
