/**
 * The `train` subcommand: flags → configuration → data → backend → {@link fit}, with a
 * progress bar on a terminal, one line per epoch otherwise, and where the checkpoint and
 * metrics went at the end.
 *
 * @module
 */

import { join } from "node:path";
import { loadCheckpoint } from "../core/checkpoint/checkpoint.ts";
import { loadDataset } from "../core/data/source.ts";
import { channelStats, normalize } from "../core/data/normalize.ts";
import type { Dataset } from "../core/data/dataset.ts";
import { UsageError } from "../core/errors.ts";
import { parseLayerSizes } from "../core/nn/mlp.ts";
import { defaultTrainConfig as d, type TrainConfig } from "../core/train/config.ts";
import { type EpochSummary, fit } from "../core/train/fit.ts";
import type { OptimizerKind } from "../core/optim/kinds.ts";
import { chooseBackend } from "./backend_choice.ts";
import { type FlagTable, type FlagValues, helpText, parseFlags } from "./flags.ts";
import { formatDuration, ProgressBar } from "./progress.ts";

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
    choices: ["cross-entropy", "mse"],
    help: "training loss",
  },
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
  quiet: { type: "boolean", default: false, help: "print only the final summary" },
  help: { type: "boolean", default: false, help: "show this help" },
};

const USAGE =
  "usage: deno task train [flags]\n\nTrains an MLP classifier; see docs and `catalog` for more.";

/** Runs `train` with `args`; returns the exit code. */
export async function runTrain(args: readonly string[]): Promise<number> {
  const { values, positionals, given } = parseFlags(trainFlags, args);
  if (values.help) {
    console.log(helpText(USAGE, trainFlags));
    return 0;
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  const resume = values.resume as string | undefined;
  const config = resume
    ? await resumedConfig(resume, given.has("epochs") ? values.epochs as number : null)
    : configFromFlags(values);
  const quiet = values.quiet as boolean;
  const say = (line: string) => quiet || console.log(line);

  const choice = await chooseBackend(values.backend as "auto" | "webgpu" | "cpu");
  say(`backend: ${choice.backend.name} (${choice.reason})`);
  const split = await loadDataset(config.data);
  let { train, test } = split;
  if (config.normalize) {
    const { mean, std } = channelStats(train);
    train = normalize(train, mean, std);
    test = normalize(test, mean, std);
  }
  say(`data: ${split.name}, ${train.count} train / ${test.count} test samples`);
  checkModelFits(config, train);

  const out = (values.out as string | undefined) ?? join("runs", timestamp());
  await Deno.mkdir(out, { recursive: true });
  const checkpointPath = join(out, "checkpoint.safetensors");
  const metricsPath = join(out, "metrics.jsonl");
  const bar = new ProgressBar(!quiet);
  const start = performance.now();
  try {
    const result = await fit(config, choice.backend, { train, test }, {
      checkpointPath,
      metricsPath,
      evalEvery: values["eval-every"] as number,
      logEvery: values["log-every"] as number,
      resume,
    }, {
      onProgress: (p) => {
        const done = p.epoch * p.stepsPerEpoch + p.step;
        const total = config.epochs * p.stepsPerEpoch;
        const rate = done / ((performance.now() - start) / 1000);
        bar.update({
          epoch: p.epoch + 1,
          epochs: config.epochs,
          step: p.step,
          steps: p.stepsPerEpoch,
          loss: p.loss,
          samplesPerSecond: p.samplesPerSecond,
          etaSeconds: (total - done) / rate,
        });
      },
      onEpoch: (s) => {
        bar.clear();
        say(epochLine(s, config.epochs));
      },
    });
    const seconds = (performance.now() - start) / 1000;
    const final = result.final!;
    console.log(
      `final test accuracy ${(final.accuracy * 100).toFixed(2)}% (loss ${
        final.loss.toFixed(4)
      }) in ${formatDuration(seconds)}`,
    );
    console.log(`checkpoint: ${checkpointPath}`);
    console.log(`metrics:    ${metricsPath}`);
  } finally {
    choice.backend.destroy();
  }
  return 0;
}

/** One plain line per epoch. */
export function epochLine(s: EpochSummary, epochs: number): string {
  const test = s.test
    ? ` test loss ${s.test.loss.toFixed(4)} acc ${(s.test.accuracy * 100).toFixed(2)}%`
    : "";
  return `epoch ${String(s.epoch).padStart(String(epochs).length)}/${epochs} ` +
    `train loss ${s.train.loss.toFixed(4)} acc ${(s.train.accuracy * 100).toFixed(2)}%${test} ${
      s.seconds.toFixed(1)
    }s`;
}

function checkModelFits(config: TrainConfig, data: Dataset): void {
  const sizes = parseLayerSizes(config.model);
  const features = data.images.length / data.count;
  if (sizes[0] !== features) {
    throw new UsageError(
      "--model",
      `input size ${sizes[0]} does not match the data's ${features} values per sample`,
    );
  }
  if (sizes[sizes.length - 1] !== data.classes) {
    throw new UsageError(
      "--model",
      `output size ${sizes[sizes.length - 1]} does not match the data's ${data.classes} classes`,
    );
  }
}

function configFromFlags(v: FlagValues): TrainConfig {
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
    seed: v.seed as number,
    normalize: v.normalize as boolean,
  };
}

// A resumed run keeps everything that shaped the saved state; only --epochs may extend it.
async function resumedConfig(path: string, epochs: number | null): Promise<TrainConfig> {
  const saved = (await loadCheckpoint(path)).config as unknown as TrainConfig;
  return { ...d, ...saved, epochs: epochs ?? saved.epochs };
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}
