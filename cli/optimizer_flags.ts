/**
 * The optimizer flags of `train`: `--optimizer` and one flag per argument of any
 * optimizer in the catalogue (`--weight-decay`, `--betas 0.9,0.999`, `--centered`, …),
 * plus gradient clipping. Defaults are per optimizer, PyTorch's, except that SGD keeps
 * the training defaults of `deno task train` (lr 0.05, momentum 0.9, weight decay 1e-4).
 *
 * @module
 */

import type { CatalogArg } from "../core/catalog.ts";
import { UsageError } from "../core/errors.ts";
import {
  flagName,
  type OptimizerArgValue,
  optimizerCatalog,
  type OptimizerName,
  optimizerSpec,
  optionKey,
} from "../core/optim/catalog.ts";
import type { OptimizerOptions } from "../core/optim/settings.ts";
import { defaultTrainConfig as d, type TrainConfig } from "../core/train/config.ts";
import type { FlagSpec, FlagTable, FlagValues } from "./flags.ts";

/** Optimizers that `train` offers: all but SparseAdam (for an `Embedding`'s sparse gradients). */
export const trainOptimizers = optimizerCatalog
  .filter((s) => s.train)
  .map((s) => s.name as OptimizerName);

/** SGD's defaults in `train`, where they differ from PyTorch's. */
const trainSgdDefaults: Readonly<Record<string, OptimizerArgValue>> = {
  lr: d.lr,
  momentum: d.momentum,
  weight_decay: d.weightDecay,
};

/** `name`'s entry among `optimizer`'s arguments, if it takes it. */
function argOf(optimizer: OptimizerName, name: string): CatalogArg | undefined {
  return optimizerSpec(optimizer)!.args.find((a) => a.name === name);
}

/** The default of `arg` for `optimizer` in `train`. */
function defaultOf(optimizer: OptimizerName, arg: string): OptimizerArgValue | undefined {
  if (optimizer === "sgd" && arg in trainSgdDefaults) return trainSgdDefaults[arg];
  return argOf(optimizer, arg)?.default;
}

/** Every argument of any `train` optimizer, by PyTorch's name. */
const trainArgNames = [
  ...new Set(trainOptimizers.flatMap((o) => optimizerSpec(o)!.args.map((a) => a.name))),
];

/** `items` grouped by `key`, in order of first appearance. */
function groupBy<T extends string>(
  items: readonly T[],
  key: (item: T) => string,
): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...groups.get(key(item)) ?? [], item]);
  return groups;
}

/** "a (x, y) / b (z)" for values that differ between optimizers, "a" when all agree. */
function describe(groups: Map<string, string[]>, separator: string): string {
  if (groups.size === 1) return [...groups.keys()][0];
  return [...groups].map(([value, who]) => `${value} (${who.join(", ")})`).join(separator);
}

/** `--name` for each argument of any `train` optimizer, with who takes it and its defaults. */
function argumentFlags(): FlagTable {
  const table: Record<string, FlagSpec> = {};
  for (const name of trainArgNames) {
    const takers = trainOptimizers.filter((o) => argOf(o, name));
    const doc = describe(groupBy(takers, (o) => argOf(o, name)!.doc), " / ");
    const example = argOf(takers[0], name)!.default;
    if (name === "line_search_fn") {
      table[flagName(name)] = {
        type: "string",
        group: "optimization",
        choices: ["none", "strong_wolfe"],
        help: `${doc} (${takers.join(", ")}; default: none)`,
      };
      continue;
    }
    if (typeof example === "boolean") {
      table[flagName(name)] = {
        type: "boolean",
        group: "optimization",
        help: `${doc} (${takers.join(", ")})`,
      };
      continue;
    }
    const pair = Array.isArray(example);
    const defaults = describe(groupBy(takers, (o) => String(defaultOf(o, name))), "; ");
    table[flagName(name)] = {
      type: pair ? "string" : "number",
      group: "optimization",
      ...(pair ? {} : { min: 0 }),
      // An argument whose default is computed (LBFGS's max_eval) says so in its doc.
      help: `${pair ? "A,B: " : ""}${doc}${defaults === "null" ? "" : ` (default: ${defaults})`}`,
    };
  }
  return table;
}

/** `--optimizer`, its arguments' flags, and clipping. */
export const optimizerFlags: FlagTable = {
  optimizer: {
    type: "string",
    group: "optimization",
    default: d.optimizer,
    choices: trainOptimizers,
    help: "optimizer (`catalog` lists each with its arguments)",
  },
  ...argumentFlags(),
  "clip-grad-norm": {
    type: "number",
    group: "optimization",
    min: 0,
    help: "scale gradients so their total norm is at most this, before each update (default: off)",
  },
  "clip-norm-type": {
    type: "string",
    group: "optimization",
    default: "2",
    choices: ["2", "inf"],
    help: "the norm of --clip-grad-norm",
  },
  "clip-grad-value": {
    type: "number",
    group: "optimization",
    min: 0,
    help: "clamp each gradient to [-this, this] before each update (default: off)",
  },
};

/** The fields of {@link TrainConfig} that the optimizer flags set. */
export type OptimizerConfig = Pick<
  TrainConfig,
  | "optimizer"
  | "lr"
  | "momentum"
  | "dampening"
  | "weightDecay"
  | "nesterov"
  | "amsgrad"
  | "beta1"
  | "beta2"
  | "eps"
  | "optimizerArgs"
  | "clip"
>;

/**
 * The optimizer configuration that parsed flags describe. A flag of an argument that the
 * chosen optimizer does not take is a {@link UsageError}, as PyTorch rejects it.
 */
export function optimizerConfigFromFlags(v: FlagValues): OptimizerConfig {
  const optimizer = v.optimizer as OptimizerName;
  const spec = optimizerSpec(optimizer)!;
  const takes = new Set(spec.args.map((a) => a.name));
  for (const name of trainArgNames) {
    if (v[flagName(name)] !== undefined && !takes.has(name)) {
      throw new UsageError(
        `--${flagName(name)}`,
        `${optimizer} takes no ${name}; its arguments are ${
          spec.args.map((a) => `--${flagName(a.name)}`).join(", ")
        }`,
      );
    }
  }
  const args: Record<string, OptimizerArgValue> = {};
  for (const a of spec.args) {
    const given = v[flagName(a.name)];
    args[a.name] = given === undefined
      ? defaultOf(optimizer, a.name)!
      : Array.isArray(a.default)
      ? pair(flagName(a.name), String(given))
      : given;
  }
  const legacy = [
    "lr",
    "momentum",
    "dampening",
    "weight_decay",
    "nesterov",
    "amsgrad",
    "betas",
    "eps",
  ];
  const rest: Record<string, OptimizerArgValue> = {};
  for (const [name, value] of Object.entries(args)) {
    if (!legacy.includes(name)) rest[optionKey(name)] = value === "none" ? null : value;
  }
  const [beta1, beta2] = (args.betas as [number, number] | undefined) ?? [d.beta1, d.beta2];
  const maxNorm = v["clip-grad-norm"] as number | undefined;
  const value = v["clip-grad-value"] as number | undefined;
  return {
    optimizer,
    lr: args.lr as number,
    momentum: (args.momentum as number | undefined) ?? d.momentum,
    dampening: (args.dampening as number | undefined) ?? d.dampening,
    weightDecay: (args.weight_decay as number | undefined) ?? 0,
    nesterov: (args.nesterov as boolean | undefined) ?? false,
    amsgrad: (args.amsgrad as boolean | undefined) ?? false,
    beta1,
    beta2,
    eps: (args.eps as number | undefined) ?? d.eps,
    ...(Object.keys(rest).length ? { optimizerArgs: rest as OptimizerOptions } : {}),
    ...(maxNorm !== undefined || value !== undefined
      ? {
        clip: {
          ...(maxNorm !== undefined
            ? { maxNorm, normType: v["clip-norm-type"] === "inf" ? "inf" as const : 2 as const }
            : {}),
          ...(value !== undefined ? { value } : {}),
        },
      }
      : {}),
  };
}

function pair(flag: string, text: string): [number, number] {
  const parts = text.split(",").map((s) => s.trim());
  const values = parts.map(Number);
  if (parts.length !== 2 || parts.some((p) => p === "") || !values.every(Number.isFinite)) {
    throw new UsageError(`--${flag}`, `expected two numbers like 0.9,0.999, got "${text}"`);
  }
  return [values[0], values[1]];
}
