/**
 * The non-finite watch's kernel: marks a flag when a storage holds NaN or ±∞, on the
 * device, so that training never reads values back to find out.
 *
 * @module
 */

import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import markNonFinite from "./mark_non_finite.wgsl" with { type: "text" };

/** `flag = [mark, ⌊i / 65536⌋, i mod 65536]` for the first non-finite `x[i]`, unless set; bindings `x`, `flag`. */
export function markNonFiniteKernel(): Kernel {
  return memoKernel("mark-non-finite", (key) =>
    defineKernel({
      key,
      bindings: [["x", "read"], ["flag", "read_write"]],
      params: [{ name: "n", type: "u32" }, { name: "mark", type: "f32" }],
      sources: [markNonFinite],
    }));
}
