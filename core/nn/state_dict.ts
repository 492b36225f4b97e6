/**
 * A model's `state_dict`, as PyTorch names it: every parameter and buffer by its dotted
 * key (`0.weight`, `1.running_mean`), each a shape and its row-major values, read from
 * wherever the tensor lives (the flat parameter buffer once the model is on a backend,
 * its initial values before), and written back with every key and shape checked.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { ModuleBuffer } from "./buffer.ts";
import type { Parameter } from "./parameter.ts";

/** One tensor of a state dict: its shape and row-major float32 values. */
export interface StateTensor {
  /** The tensor's shape (`[]` for a scalar). */
  readonly shape: readonly number[];
  /** Its values; `data.length` is the product of `shape`. */
  readonly data: Float32Array;
}

/** Tensors by PyTorch's `state_dict` key, in registration order. */
export type StateDict = Record<string, StateTensor>;

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Refuse keys that the model does not have (PyTorch's `strict`). Default true. */
  readonly strict?: boolean;
}

/** The values of `params` and `buffers` by name, read back to the host. */
export async function readStateDict(
  params: readonly [string, Parameter][],
  buffers: readonly [string, ModuleBuffer][],
): Promise<StateDict> {
  const out: StateDict = {};
  for (const [name, p] of params) {
    const data = p.isBound ? await p.value.backend.read(p.value.storage) : p.init.slice();
    out[name] = { shape: [...p.shape], data };
  }
  for (const [name, b] of buffers) out[name] = { shape: [...b.shape], data: await b.read() };
  return out;
}

/**
 * Writes `dict` into `params` and `buffers`. Every parameter and buffer must be in it
 * with its shape, and with `strict` (the default) it may hold nothing else; a mismatch
 * throws a UsageError naming the key, before anything is written.
 */
export function writeStateDict(
  params: readonly [string, Parameter][],
  buffers: readonly [string, ModuleBuffer][],
  dict: StateDict,
  options: LoadStateDictOptions = {},
): void {
  const targets: [string, readonly number[]][] = [...params, ...buffers].map((
    [name, t],
  ) => [name, t.shape]);
  for (const [name, shape] of targets) {
    const t = dict[name];
    if (!t) throw new UsageError(name, "missing from the state dict");
    if (t.shape.join() !== shape.join() || t.data.length !== t.shape.reduce((a, b) => a * b, 1)) {
      throw new UsageError(
        name,
        `expected shape [${shape}], got [${t.shape}] with ${t.data.length} values`,
      );
    }
  }
  if (options.strict ?? true) {
    const known = new Set(targets.map(([name]) => name));
    const extra = Object.keys(dict).find((k) => !known.has(k));
    if (extra) throw new UsageError(extra, "the model has no such parameter or buffer");
  }
  for (const [name, p] of params) {
    if (p.isBound) p.value.backend.write(p.value.storage, dict[name].data);
    else p.init.set(dict[name].data);
  }
  for (const [name, b] of buffers) b.load(dict[name].data);
}
