/**
 * What the flags given with `--resume` do. The checkpoint's configuration is the run's;
 * a flag either applies to the rest of the run — the length, learning rate and schedule,
 * and how often it logs and evaluates — and the run says so in one line, or it would
 * change what the checkpoint's state means (model, data, optimizer, seed, batch size, …)
 * and is refused, unless its value is the checkpoint's own. Flags outside the saved
 * configuration (backend, output, mesh settings) apply as they always do.
 *
 * @module
 */

import { loadCheckpoint } from "../core/checkpoint/checkpoint.ts";
import { UsageError } from "../core/errors.ts";
import { defaultTrainConfig, type TrainConfig } from "../core/train/config.ts";
import { configFromCheckpoint } from "../core/train/saved_config.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { optimizerFlags } from "./optimizer_flags.ts";

/** Configuration flags that a resumed run takes from the command line. */
const APPLIES = new Set(["epochs", "lr", "scheduler", "scheduler-args"]);
/** Flags outside the configuration that the run names when they are given. */
const NOTED = ["log-every", "eval-every"];

/** A resumed run's configuration, what the flags changed, and the epochs already done. */
export interface ResumedConfig {
  config: TrainConfig;
  /** One line: where the run continues and every flag that applies, with its old value. */
  note: string;
  /** Epochs the checkpoint has done. */
  doneEpochs: number;
}

/**
 * The configuration of a run resuming from `path`: the checkpoint's, with the flags in
 * `given` that may change applied; any other given flag of the configuration (those that
 * `fromFlags` reads) whose value differs from the checkpoint's is a {@link UsageError}
 * naming it. `table` holds every flag; `fromFlags` turns flag values into a configuration.
 */
export async function resumedConfig(
  path: string,
  v: FlagValues,
  given: ReadonlySet<string>,
  table: FlagTable,
  fromFlags: (v: FlagValues) => TrainConfig,
): Promise<ResumedConfig> {
  const checkpoint = await loadCheckpoint(path);
  const saved = configFromCheckpoint(checkpoint.config, path);
  // The checkpoint's optimizer unless one is given, so that its arguments' flags parse.
  const wanted = fromFlags({
    ...v,
    optimizer: given.has("optimizer") ? v.optimizer : saved.optimizer,
  });
  const configFlags = flagsReadBy(fromFlags, table);
  const changes: string[] = [];
  const config = { ...saved };
  for (const flag of [...given].filter((f) => configFlags.has(f))) {
    const field = fieldOf(flag);
    const before = show(field(saved)), after = show(field(wanted));
    if (before === after) continue;
    if (!APPLIES.has(flag)) {
      throw new UsageError(
        `--${flag}`,
        `${path} was trained with --${flag} ${before}; a resumed run keeps the checkpoint's ` +
          `configuration (start a new run without --resume to change it)`,
      );
    }
    Object.assign(config, { [camel(flag)]: field(wanted) });
    changes.push(`--${flag} ${after} (was ${before})`);
  }
  for (const flag of NOTED) if (given.has(flag)) changes.push(`--${flag} ${v[flag]}`);
  const at = `resuming ${path} after epoch ${checkpoint.epoch} of ${config.epochs}`;
  return {
    config,
    note: changes.length ? `${at}; applies: ${changes.join(", ")}` : at,
    doneEpochs: checkpoint.epoch,
  };
}

/**
 * The flags that `fromFlags` reads (found by watching it read every flag's default), and
 * every optimizer flag: together, the flags the configuration holds.
 */
function flagsReadBy(fromFlags: (v: FlagValues) => TrainConfig, table: FlagTable): Set<string> {
  const read = new Set(Object.keys(optimizerFlags));
  const defaults = Object.fromEntries(Object.entries(table).map(([k, s]) => [k, s.default]));
  fromFlags(
    new Proxy(defaults, {
      get(target, key) {
        read.add(String(key));
        return target[String(key)];
      },
    }),
  );
  return read;
}

/** How to find a flag's value in a configuration. */
function fieldOf(flag: string): (c: TrainConfig) => unknown {
  if (flag === "random-crop") return (c) => c.augment.crop;
  if (flag === "hflip") return (c) => c.augment.flip;
  if (flag === "betas") return (c) => [c.beta1, c.beta2];
  if (flag.startsWith("clip-")) return (c) => c.clip;
  const key = camel(flag);
  if (Object.hasOwn(defaultTrainConfig, key)) {
    return (c) => (c as unknown as Record<string, unknown>)[key];
  }
  // Every other optimizer argument lives in optimizerArgs.
  return (c) => c.optimizerArgs;
}

function camel(flag: string): string {
  return flag.replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase());
}

function show(value: unknown): string {
  return value === undefined ? "none" : typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The line a command prints instead of training when the checkpoint `path` it resumes has
 * done `doneEpochs` of the `epochs` asked for; null when there is training left.
 */
export function nothingLeft(
  path: string | undefined,
  doneEpochs: number,
  epochs: number,
): string | null {
  if (path === undefined || doneEpochs < epochs) return null;
  return `${path} has done ${doneEpochs} of ${epochs} epochs: nothing to train ` +
    `(give --epochs more than ${doneEpochs} to continue it); no file was written`;
}
