/**
 * Whole-storage reductions to one value on the device — a dot product and a maximum of
 * absolute values — for gradient clipping and L-BFGS. Two passes of one kernel: up to
 * {@link TOTAL_PARTIALS} workgroups each reduce a strided share to a partial, then one
 * workgroup reduces the partials.
 *
 * @module
 */

import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import reduceMax from "./reduce_max.wgsl" with { type: "text" };
import reduceSum from "./reduce_sum.wgsl" with { type: "text" };
import loadAbs from "./total_load_abs.wgsl" with { type: "text" };
import loadPlain from "./total_load_plain.wgsl" with { type: "text" };
import loadProduct from "./total_load_product.wgsl" with { type: "text" };
import totalReduce from "./total_reduce.wgsl" with { type: "text" };

/** The most workgroups of a first pass, so that the second pass is one workgroup's work. */
export const TOTAL_PARTIALS = 256;

/** What a pass reads: `a[i]·b[i]`, `|x[i]|`, or a first pass's partials `src[i]`. */
export type TotalLoad = "product" | "abs" | "plain";

const loads: Record<TotalLoad, { bindings: readonly string[]; source: string }> = {
  product: { bindings: ["a", "b"], source: loadProduct },
  abs: { bindings: ["x"], source: loadAbs },
  plain: { bindings: ["src"], source: loadPlain },
};

/** One pass: `dst[workgroup] = combine over its share of load(0..n)`. */
export function totalReduceKernel(load: TotalLoad, op: "sum" | "max"): Kernel {
  return memoKernel(`total:${load}:${op}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ...loads[load].bindings.map((name) => [name, "read"] as const),
        ["dst", "read_write"],
      ],
      params: [{ name: "n", type: "u32" }],
      sources: [op === "sum" ? reduceSum : reduceMax, loads[load].source, totalReduce],
    }));
}
