/**
 * Training checkpoints: one safetensors file holding the parameters and buffers (PyTorch
 * `state_dict` names such as `"0.weight"` and `"1.running_mean"`), the optimizer state
 * (names starting with `"optim."`, e.g. `"optim.0.weight.momentum_buffer"`), and in
 * `__metadata__` the format tag `"format": "gradmesh-checkpoint-1"` plus JSON-encoded
 * `epoch`, `step`, `rng_state` and `config`, and `module_state` when a module keeps
 * host-side extra state. PyTorch's `safetensors.torch.load_file` reads it as a plain dict.
 * Every tensor is float32, `num_batches_tracked` too (an int64 in PyTorch).
 *
 * @module
 */

import { firstLine, MAX_INPUT_FILE_BYTES, readFileBounded } from "../bounded_read.ts";
import { CheckpointError, NonFiniteError, OutputError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";
import { describeNonFinite } from "./finite.ts";
import type { NamedTensor } from "./named_tensor.ts";
import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";

/** Modules' extra state by PyTorch's key, e.g. `{ "2._extra_state": { seed: 7, offset: 640 } }`. */
export type ModuleState = Record<string, Record<string, number>>;

/** Everything needed to resume a run exactly. */
export interface Checkpoint {
  /** Model parameters and buffers. */
  params: NamedTensor[];
  /** Optimizer state; every name starts with `"optim."`. */
  optimizer: NamedTensor[];
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** Random generator state words. */
  rngState: number[];
  /** The run's configuration (any JSON object). */
  config: Record<string, unknown>;
  /** Modules' extra state (a dropout's random stream); absent when no module keeps any. */
  moduleState?: ModuleState;
  /** Where in epoch `epoch + 1` a checkpoint taken mid-epoch was; absent at an epoch's end. */
  epochProgress?: EpochProgress;
}

/** Steps done in an unfinished epoch and its training-metric sums so far. */
export interface EpochProgress {
  /** Steps of the epoch already taken. */
  steps: number;
  /** Sum of the loss over the samples counted. */
  loss: number;
  /** Correct predictions counted. */
  correct: number;
  /** Sum of the predictive entropy in bits (absent in checkpoints that predate it). */
  entropy?: number;
  /** Samples counted. */
  count: number;
}

const FORMAT = "gradmesh-checkpoint-1";
const OPTIM_PREFIX = "optim.";

/**
 * Writes `checkpoint` to `path` atomically (a crash leaves the previous file intact). A
 * file that cannot be written (read-only or full filesystem) is an {@link OutputError}; a
 * tensor holding NaN or ±∞ throws a {@link NonFiniteError} naming it, and nothing is written.
 *
 * @example
 * ```ts
 * import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * const w = { name: "0.weight", shape: [1, 2], data: new Float32Array([0.5, -1]) };
 * await saveCheckpoint(path, { params: [w], optimizer: [], epoch: 1, step: 10, rngState: [7], config: {} });
 * console.log((await loadCheckpoint(path)).step); // 10
 * ```
 */
export async function saveCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const { params, optimizer } = checkpoint;
  const misnamed = params.find((t) => t.name.startsWith(OPTIM_PREFIX)) ??
    optimizer.find((t) => !t.name.startsWith(OPTIM_PREFIX));
  if (misnamed) {
    throw new CheckpointError(
      path,
      `tensor "${misnamed.name}": optimizer state, and only it, must be named "${OPTIM_PREFIX}*"`,
    );
  }
  const nonFinite = describeNonFinite([...params, ...optimizer]);
  if (nonFinite) throw new NonFiniteError(`${path}: not written, ${nonFinite}`);
  const metadata = {
    format: FORMAT,
    epoch: JSON.stringify(checkpoint.epoch),
    step: JSON.stringify(checkpoint.step),
    rng_state: JSON.stringify(checkpoint.rngState),
    config: JSON.stringify(checkpoint.config),
    ...(checkpoint.moduleState && { module_state: JSON.stringify(checkpoint.moduleState) }),
    ...(checkpoint.epochProgress && { epoch_progress: JSON.stringify(checkpoint.epochProgress) }),
  };
  const bytes = encodeSafetensors([...params, ...optimizer], metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new OutputError(path, `cannot write the checkpoint: ${firstLine(e)}`);
  }
}

/**
 * Reads a checkpoint that {@link saveCheckpoint} wrote. A missing file, anything but a
 * regular file of at most `MAX_INPUT_FILE_BYTES`, a corrupt safetensors file, a missing or
 * unknown `format`, absent or ill-typed metadata, or a tensor holding NaN or ±∞ throws a
 * {@link CheckpointError} naming `path`.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const fail = (message: string) => new CheckpointError(path, message);
  const bytes = await readFileBounded(path, MAX_INPUT_FILE_BYTES, "checkpoint", fail);
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  if (metadata.format !== FORMAT) {
    const found = metadata.format === undefined ? "no format key" : `"${metadata.format}"`;
    throw new CheckpointError(path, `expected __metadata__ format "${FORMAT}", found ${found}`);
  }
  const field = <T>(key: string, ok: (v: unknown) => boolean, expected: string): T => {
    let value: unknown;
    try {
      value = JSON.parse(metadata[key]);
    } catch {
      value = undefined;
    }
    if (!ok(value)) {
      const found = Object.hasOwn(metadata, key)
        ? JSON.stringify(metadata[key].slice(0, 40))
        : "nothing";
      throw new CheckpointError(path, `__metadata__ ${key}: expected ${expected}, found ${found}`);
    }
    return value as T;
  };
  const named = [...tensors].map(([name, t]): NamedTensor => ({ name, ...t }));
  const nonFinite = describeNonFinite(named);
  if (nonFinite) throw new CheckpointError(path, `${nonFinite}; a diverged state cannot be loaded`);
  return {
    params: named.filter((t) => !t.name.startsWith(OPTIM_PREFIX)),
    optimizer: named.filter((t) => t.name.startsWith(OPTIM_PREFIX)),
    epoch: field("epoch", isCount, "a non-negative integer"),
    step: field("step", isCount, "a non-negative integer"),
    rngState: field(
      "rng_state",
      (v) => Array.isArray(v) && v.every(Number.isFinite),
      "a JSON array of numbers",
    ),
    config: field("config", isObject, "a JSON object"),
    ...(Object.hasOwn(metadata, "module_state") && {
      moduleState: field<ModuleState>(
        "module_state",
        (v) => isObject(v) && Object.values(v).every(isNumberRecord),
        "a JSON object of objects of numbers",
      ),
    }),
    ...(Object.hasOwn(metadata, "epoch_progress") && {
      epochProgress: field<EpochProgress>(
        "epoch_progress",
        isEpochProgress,
        'an object {"steps", "loss", "correct", "count"} of numbers (and "entropy")',
      ),
    }),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isNumberRecord(value: unknown): boolean {
  return isObject(value) && Object.values(value).every(Number.isFinite);
}

// JSON has no NaN: a diverged loss sum is saved as null.
function isEpochProgress(value: unknown): boolean {
  if (!isObject(value) || !isCount(value.steps) || !isCount(value.count)) return false;
  const entropy = value.entropy === undefined || value.entropy === null ||
    Number.isFinite(value.entropy);
  return entropy && [value.loss, value.correct].every((v) => v === null || Number.isFinite(v));
}

function isCount(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
