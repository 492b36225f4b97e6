/**
 * The WebGPU backend's reductions: along an axis in chunks (`reduce`, and the bias
 * gradient of a linear layer), and to one element in two passes (`dot`, `maxAbs`).
 *
 * @module
 */

import type { Backend, ReduceArgs, ReduceOp, Storage } from "../../core/backend.ts";
import { ShapeError } from "../../core/errors.ts";
import { FLAT_WORKGROUP } from "../kernels/kernel.ts";
import { type Operand, plainOperand } from "../kernels/operand.ts";
import { REDUCE_CHUNK, reduceKernel } from "../kernels/reduce.ts";
import { TOTAL_PARTIALS, type TotalLoad, totalReduceKernel } from "../kernels/total_reduce.ts";
import { flatGroups, type OpContext } from "../op_context.ts";

/** The reduction methods of a {@link Backend}. */
export type ReductionOps = Pick<Backend, "reduce" | "dot" | "maxAbs">;

/** {@link ReductionOps} recorded through `ctx`. */
export function reductionOps(ctx: OpContext): ReductionOps {
  return {
    reduce({ op, x, outer, len, inner }: ReduceArgs): Storage {
      const out = ctx.allocate(outer * inner);
      reduceInto(ctx, op, plainOperand("src"), [x], out, outer, len, inner);
      return out;
    },

    dot(a: Storage, b: Storage): Storage {
      if (a.size !== b.size) {
        throw new ShapeError("dot", `expected storages of one size, got ${a.size} and ${b.size}`);
      }
      return total(ctx, "product", "sum", [a, b], a.size);
    },

    maxAbs(x: Storage): Storage {
      return x.size === 0 ? ctx.zeros(1) : total(ctx, "abs", "max", [x], x.size);
    },
  };
}

/**
 * Reduces `[outer, len, inner]` (the operand `src` over `inputs`) over len into `dst`. A
 * thread loops over at most {@link REDUCE_CHUNK} values: a longer len is reduced in
 * chunks by more threads, then the partial results the same way. (Mesa's llvmpipe ends
 * any shader loop after 65,535 iterations, and one thread per output leaves a GPU idle.)
 */
export function reduceInto(
  ctx: OpContext,
  op: ReduceOp,
  src: Operand,
  inputs: Storage[],
  dst: Storage,
  outer: number,
  len: number,
  inner: number,
): void {
  const kernel = reduceKernel(op, src);
  if (len <= REDUCE_CHUNK) {
    ctx.run(kernel, [...inputs, dst], [outer, len, inner, len], flatGroups(outer * inner));
    return;
  }
  const chunks = Math.ceil(len / REDUCE_CHUNK);
  const partial = ctx.allocate(outer * chunks * inner);
  ctx.run(
    kernel,
    [...inputs, partial],
    [outer, len, inner, REDUCE_CHUNK],
    flatGroups(outer * chunks * inner),
  );
  reduceInto(ctx, op, plainOperand("src"), [partial], dst, outer, chunks, inner);
}

/** Reduces `n` loaded values to a 1-element storage in two passes (partials, then total). */
function total(
  ctx: OpContext,
  load: TotalLoad,
  op: "sum" | "max",
  inputs: readonly Storage[],
  n: number,
): Storage {
  const out = ctx.zeros(1);
  const groups = Math.min(TOTAL_PARTIALS, Math.max(1, Math.ceil(n / FLAT_WORKGROUP)));
  const partials = groups === 1 ? out : ctx.allocate(groups);
  ctx.run(totalReduceKernel(load, op), [...inputs, partials], [n], groups);
  if (groups > 1) ctx.run(totalReduceKernel("plain", op), [partials, out], [groups], 1);
  return out;
}
