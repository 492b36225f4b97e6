/**
 * The finiteness check of checkpoint tensors: no checkpoint is written or loaded with NaN
 * or ±∞ in it, since such a state would only train on unnoticed.
 *
 * @module
 */

import type { NamedTensor } from "./named_tensor.ts";

/**
 * The first tensor of `tensors` holding NaN or ±∞, described as
 * `tensor <name> holds <value> at element <i>`; null when every value is finite.
 *
 * @example
 * ```ts
 * import { describeNonFinite } from "./finite.ts";
 * const w = { name: "0.weight", shape: [2], data: new Float32Array([1, NaN]) };
 * console.log(describeNonFinite([w])); // tensor 0.weight holds NaN at element 1
 * ```
 */
export function describeNonFinite(tensors: Iterable<NamedTensor>): string | null {
  for (const t of tensors) {
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return `tensor ${t.name} holds ${t.data[i]} at element ${i}`;
  }
  return null;
}
