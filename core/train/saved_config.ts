/**
 * Reading the run configuration a checkpoint carries in its `__metadata__` `config`: every
 * field checked against the kind the defaults give it and every name against its
 * registry, so that a damaged or hand-edited checkpoint is one error naming the file and
 * the field, not a failure deep in building the model.
 *
 * @module
 */

import { CheckpointError } from "../errors.ts";
import { activationNames } from "../nn/activations/registry.ts";
import { initNames } from "../nn/init_registry.ts";
import { optimizerNames } from "../optim/catalog.ts";
import { schedulerDefs } from "../optim/schedulers/registry.ts";
import { defaultTrainConfig, type TrainConfig } from "./config.ts";
import { lossNames } from "./regression_objective.ts";
import { tasks } from "./regression_settings.ts";
import { csvHeaderChoices } from "../data/csv.ts";
import { noiseKinds } from "../data/synthetic.ts";
import { marginForms } from "./objective.ts";

/** The fields that name a registry entry, with the names allowed. */
const NAMED: Partial<Record<keyof TrainConfig, readonly string[]>> = {
  optimizer: optimizerNames,
  activation: activationNames,
  init: ["default", ...initNames],
  loss: lossNames,
  task: tasks,
  csvHeader: csvHeaderChoices,
  noise: noiseKinds,
  reduction: ["mean", "sum"],
  scheduler: ["none", ...Object.keys(schedulerDefs)],
  label: ["fine", "coarse"],
  marginForm: marginForms,
};

/** Integer fields with their least value: the loop and the sampler divide by them. */
const COUNTS: Partial<Record<keyof TrainConfig, number>> = {
  epochs: 1,
  batchSize: 1,
  seed: 0,
  accumulate: 1,
};

/** Fields that may be absent (their defaults apply) and are objects when present. */
const OPTIONAL_OBJECTS = ["optimizerArgs", "clip"];

/**
 * The configuration `saved` (a checkpoint's `config`, from `file`) over the defaults.
 * A field of another JSON type than its default, an epoch count, batch size or seed that
 * is not a whole number in range, an unknown optimizer, activation,
 * initialiser, loss, scheduler or label, or a non-object optimizer argument set is a
 * {@link CheckpointError} naming `file` and the field. Fields it does not know are ignored.
 *
 * @example
 * ```ts
 * import { configFromCheckpoint } from "./saved_config.ts";
 * console.log(configFromCheckpoint({ model: "784-32-10" }, "ckpt.safetensors").model); // 784-32-10
 * ```
 */
export function configFromCheckpoint(saved: Record<string, unknown>, file: string): TrainConfig {
  const fail = (field: string, expected: string) =>
    new CheckpointError(
      file,
      `__metadata__ config.${field}: expected ${expected}, found ${
        JSON.stringify(saved[field])?.slice(0, 60)
      }`,
    );
  for (const [field, value] of Object.entries(defaultTrainConfig)) {
    if (!Object.hasOwn(saved, field)) continue;
    const kind = typeOf(value);
    if (typeOf(saved[field]) !== kind) {
      throw fail(field, `${kind === "object" ? "an" : "a"} ${kind}`);
    }
    const least = COUNTS[field as keyof TrainConfig];
    const n = saved[field] as number;
    if (least !== undefined && !(Number.isSafeInteger(n) && n >= least)) {
      throw fail(field, `an integer >= ${least}`);
    }
    const names = NAMED[field as keyof TrainConfig];
    if (names && !names.includes(saved[field] as string)) {
      throw fail(field, `one of ${names.join(", ")}`);
    }
  }
  for (const field of OPTIONAL_OBJECTS) {
    if (saved[field] !== undefined && typeOf(saved[field]) !== "object") {
      throw fail(field, "an object");
    }
  }
  return { ...defaultTrainConfig, ...saved } as TrainConfig;
}

/** JSON's kinds: number, string, boolean, object, list or null. */
function typeOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "list" : typeof value;
}
