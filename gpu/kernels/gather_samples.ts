/**
 * Gathering a batch from a dataset held on the device, by shard of the images.
 *
 * @module
 */

import gatherSamples from "./gather_samples.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";

/**
 * One shard's gather of a batch: bindings images (the shard), labels, idx, x, y; params
 * rows, width, count, first, shard; one thread per value of x.
 */
export function gatherSamplesKernel(): Kernel {
  return memoKernel("gather_samples", (key) =>
    defineKernel({
      key,
      bindings: [
        ["images", "read"],
        ["labels", "read"],
        ["idx", "read"],
        ["x", "read_write"],
        ["y", "read_write"],
      ],
      params: [
        { name: "rows", type: "u32" },
        { name: "width", type: "u32" },
        { name: "count", type: "u32" },
        { name: "first", type: "u32" },
        { name: "shard", type: "u32" },
      ],
      sources: [gatherSamples],
    }));
}
