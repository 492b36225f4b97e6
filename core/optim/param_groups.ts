/**
 * Parameter groups: PyTorch's `[{ params, lr, … }]`, each group one or more contiguous
 * ranges of the flat parameter buffer, so that its update stays one fused dispatch per
 * range over views.
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
 * The flat ranges of groups given by their parameters (objects or `state_dict` names):
 * for each group, one range per run of its parameters that are consecutive in
 * registration order (the weights of every layer but not the biases, say, make one run
 * per layer). Every parameter must exist and belong to at most one group; parameters in
 * no group are not updated.
 */
export function groupRanges(
  flat: FlatParameters,
  groups: readonly (readonly (string | Parameter)[])[],
): GroupRange[][] {
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
    return runsOf([...new Set(indices)].sort((a, b) => a - b)).map(([first, last]) => {
      const offset = flat.slots[first].offset;
      const end = last + 1 < flat.slots.length ? flat.slots[last + 1].offset : flat.size;
      return { slots: flat.slots.slice(first, last + 1), offset, size: end - offset };
    });
  });
}

// The runs `[first, last]` of consecutive numbers in `sorted`.
function runsOf(sorted: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const i of sorted) {
    const run = runs[runs.length - 1];
    if (run && run[1] === i - 1) run[1] = i;
    else runs.push([i, i]);
  }
  return runs;
}

/** One group over every parameter. */
export function wholeRange(flat: FlatParameters): GroupRange {
  return { slots: flat.slots, offset: 0, size: flat.size };
}
