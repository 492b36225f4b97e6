/**
 * The exact match a resumed checkpoint must make with the model it is loaded into: the
 * same set of tensor names, each with the same shape. A tensor with the right number of
 * elements in another shape, or one the model lacks, means the checkpoint came from
 * another model; loading it anyway would train a silently scrambled network.
 *
 * @module
 */

import { CheckpointError } from "../errors.ts";
import type { NamedTensor } from "./named_tensor.ts";

/** A tensor's name and shape, as a model or optimizer expects it. */
export interface TensorLayout {
  readonly name: string;
  readonly shape: readonly number[];
}

const LISTED = 5;

/**
 * Throws a {@link CheckpointError} naming `file` unless `found` holds exactly the tensors
 * of `expected` (names and shapes; order does not matter). The error names the tensors
 * that are missing, extra, or of another shape.
 *
 * @example
 * ```ts
 * import { requireTensorSet } from "./tensor_set.ts";
 * const found = [{ name: "0.weight", shape: [2, 3], data: new Float32Array(6) }];
 * try {
 *   requireTensorSet("ckpt.safetensors", [{ name: "0.weight", shape: [3, 2] }], found);
 * } catch (e) {
 *   console.log((e as Error).message); // ckpt.safetensors: tensor 0.weight has shape [2, 3], ...
 * }
 * ```
 */
export function requireTensorSet(
  file: string,
  expected: readonly TensorLayout[],
  found: readonly NamedTensor[],
): void {
  const have = new Map(found.map((t) => [t.name, t.shape]));
  const want = new Set(expected.map((t) => t.name));
  const missing = expected.filter((t) => !have.has(t.name)).map((t) => t.name);
  if (missing.length) {
    throw new CheckpointError(
      file,
      `lacks ${plural(missing)} that the model has: ${list(missing)}`,
    );
  }
  const extra = found.filter((t) => !want.has(t.name)).map((t) => t.name);
  if (extra.length) {
    throw new CheckpointError(file, `holds ${plural(extra)} that the model lacks: ${list(extra)}`);
  }
  for (const t of expected) {
    const shape = have.get(t.name)!;
    if (shape.join() !== t.shape.join()) {
      throw new CheckpointError(
        file,
        `tensor ${t.name} has shape [${shape}], the model expects [${t.shape}]`,
      );
    }
  }
}

function plural(names: readonly string[]): string {
  return names.length === 1 ? "a tensor" : `${names.length} tensors`;
}

function list(names: readonly string[]): string {
  const more = names.length - LISTED;
  return names.slice(0, LISTED).join(", ") + (more > 0 ? ` and ${more} more` : "");
}
