/**
 * Counter-based uniform random numbers on the device (Philox2x32-10), bit-identical to the
 * CPU backend's `core/cpu/random.ts`: a seed and an offset are all a fill needs.
 *
 * @module
 */

import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import random from "./random.wgsl" with { type: "text" };

/** `dst[i]` = uniform [0, 1) for counter `offset + i` under `seed`; the offset as two u32 words. */
export function randomUniformKernel(): Kernel {
  return memoKernel("random:uniform", (key) =>
    defineKernel({
      key,
      bindings: [["dst", "read_write"]],
      params: [
        { name: "n", type: "u32" },
        { name: "seed", type: "u32" },
        { name: "offset_lo", type: "u32" },
        { name: "offset_hi", type: "u32" },
      ],
      sources: [random],
    }));
}
