/**
 * The non-finite watch's kernels: mark a flag when a storage holds NaN or ±∞, on the device,
 * so that training never reads values back to find out. Two passes, as the whole-storage
 * reductions (`total_reduce.ts`): up to `TOTAL_PARTIALS` workgroups each find the first
 * non-finite index of a strided share, then one workgroup takes the least and sets the flag.
 *
 * @module
 */

import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import flag from "./non_finite_flag.wgsl" with { type: "text" };
import min from "./non_finite_min.wgsl" with { type: "text" };
import partials from "./non_finite_partials.wgsl" with { type: "text" };

/** First pass: `partials[2·wg..]` = the halves of the first non-finite index in its share. */
export function nonFinitePartialsKernel(): Kernel {
  return memoKernel("non-finite:partials", (key) =>
    defineKernel({
      key,
      bindings: [["x", "read"], ["partials", "read_write"]],
      params: [{ name: "n", type: "u32" }],
      sources: [min, partials],
    }));
}

/** Second pass: `flag = [mark, ⌊i / 65536⌋, i mod 65536]` for the least index, unless set. */
export function nonFiniteFlagKernel(): Kernel {
  return memoKernel("non-finite:flag", (key) =>
    defineKernel({
      key,
      bindings: [["partials", "read"], ["flag", "read_write"]],
      params: [{ name: "groups", type: "u32" }, { name: "mark", type: "f32" }],
      sources: [min, flag],
    }));
}
