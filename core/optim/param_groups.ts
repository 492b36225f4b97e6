/**
 * Parameter groups: PyTorch's `[{ params, lr, … }]`, each group a contiguous range of the
 * flat parameter buffer so that its update stays one fused dispatch over views.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { FlatParameters, ParameterSlot } from "../nn/flat_parameters.ts";
import type { Parameter } from "../nn/parameter.ts";

/** Where one group lives in the flat buffers. */
export interface GroupRange {
  /** The group's slots, in flat-buffer order. */
  readonly slots: readonly ParameterSlot[];
  /** First element of the range (a slot offset, so view-aligned). */
  readonly offset: number;
  /** Elements up to the next slot or the buffer's end (alignment padding included). */
  readonly size: number;
}

/**
 * The flat ranges of groups given by their parameters (objects or `state_dict` names).
 * Every parameter must exist, belong to at most one group, and each group's parameters
 * must be consecutive in registration order; parameters in no group are not updated.
 */
export function groupRanges(
  flat: FlatParameters,
  groups: readonly (readonly (string | Parameter)[])[],
): GroupRange[] {
  const indexOf = new Map<string | Parameter, number>();
  flat.slots.forEach((s, i) => {
    indexOf.set(s.name, i);
    indexOf.set(s.parameter, i);
  });
  const owner = new Map<number, number>();
  return groups.map((params, g) => {
    if (params.length === 0) throw new UsageError("params", `group ${g} has no parameters`);
    const indices = params.map((p) => {
      const i = indexOf.get(p);
      if (i === undefined) {
        const what = typeof p === "string" ? `"${p}"` : "a parameter";
        throw new UsageError("params", `group ${g}: ${what} is not one of the model's parameters`);
      }
      if (owner.has(i) && owner.get(i) !== g) {
        throw new UsageError(
          "params",
          `${flat.slots[i].name} is in groups ${owner.get(i)} and ${g}; a parameter may be in one`,
        );
      }
      owner.set(i, g);
      return i;
    });
    const sorted = [...new Set(indices)].sort((a, b) => a - b);
    const first = sorted[0], last = sorted[sorted.length - 1];
    if (last - first + 1 !== sorted.length) {
      throw new UsageError(
        "params",
        `group ${g}: expected parameters that are consecutive in registration order, got ` +
          sorted.map((i) => flat.slots[i].name).join(", "),
      );
    }
    const offset = flat.slots[first].offset;
    const end = last + 1 < flat.slots.length ? flat.slots[last + 1].offset : flat.size;
    return { slots: flat.slots.slice(first, last + 1), offset, size: end - offset };
  });
}

/** One group over every parameter. */
export function wholeRange(flat: FlatParameters): GroupRange {
  return { slots: flat.slots, offset: 0, size: flat.size };
}
