/**
 * The fused metric tally: a batch's loss, correct predictions and predictive entropy added to
 * running sums in one dispatch.
 *
 * @module
 */

import { defineKernel, FLAT_WORKGROUP, type Kernel, memoKernel } from "./kernel.ts";
import tally from "./tally.wgsl" with { type: "text" };
import workgroupReduce from "./workgroup_reduce.wgsl" with { type: "text" };

/** The metric tally: bindings logits, labels, loss, sums; one workgroup. */
export function tallyKernel(): Kernel {
  return memoKernel("tally", (key) =>
    defineKernel({
      key,
      bindings: [["logits", "read"], ["labels", "read"], ["loss", "read"], ["sums", "read_write"]],
      params: [
        { name: "rows", type: "u32" },
        { name: "cols", type: "u32" },
        { name: "loss_scale", type: "f32" },
      ],
      constants: { REDUCE_WG: FLAT_WORKGROUP },
      sources: [workgroupReduce, tally],
    }));
}
