/**
 * The WebGPU backend's elementwise ops: unary and binary (broadcast through strides),
 * expand, affine, axpy, permute (a strided read) and counter-based uniform random numbers.
 *
 * @module
 */

import type { Backend, BinaryArgs, OpScalars, Storage } from "../../core/backend.ts";
import { counterWords } from "../../core/cpu/random.ts";
import type { UnaryOpName } from "../../core/elementwise.ts";
import { broadcastStrides, sizeOf } from "../../core/shape.ts";
import { broadcastKernel, collapseBroadcast } from "../kernels/broadcast.ts";
import { affineKernel, axpyKernel, binaryKernel, unaryKernel } from "../kernels/elementwise.ts";
import { randomUniformKernel } from "../kernels/random.ts";
import { flatGroups, type OpContext } from "../op_context.ts";

/** The elementwise methods of a {@link Backend}. */
export type ElementwiseOps = Pick<
  Backend,
  "unary" | "binary" | "expand" | "affine" | "axpy" | "permute" | "randomUniform"
>;

/** {@link ElementwiseOps} recorded through `ctx`. */
export function elementwiseOps(ctx: OpContext): ElementwiseOps {
  function binary(
    { op, a, aShape, b, bShape, outShape, alpha = 0, beta = 0 }: BinaryArgs,
  ): Storage {
    const n = sizeOf(outShape);
    const out = ctx.allocate(n);
    if (a.size === n && b.size === n) {
      ctx.run(binaryKernel(op), [a, b, out], [n, alpha, beta], flatGroups(n));
      return out;
    }
    const plan = collapseBroadcast(
      outShape,
      broadcastStrides(aShape, outShape),
      broadcastStrides(bShape, outShape),
    );
    ctx.run(
      broadcastKernel(op, plan.shape.length),
      [a, b, out],
      [n, alpha, beta, plan.shape, plan.aStrides, plan.bStrides],
      flatGroups(n),
    );
    return out;
  }

  return {
    unary(op: UnaryOpName, x: Storage, { alpha = 0, beta = 0 }: OpScalars = {}): Storage {
      const out = ctx.allocate(x.size);
      ctx.run(unaryKernel(op), [x, out], [x.size, alpha, beta], flatGroups(x.size));
      return out;
    },

    binary,

    expand(x: Storage, shape: readonly number[], outShape: readonly number[]): Storage {
      return binary({ op: "add", a: x, aShape: shape, b: ctx.zero, bShape: [], outShape });
    },

    affine(x: Storage, mul: number, add: number): Storage {
      const out = ctx.allocate(x.size);
      ctx.run(affineKernel(), [x, out], [x.size, mul, add], flatGroups(x.size));
      return out;
    },

    axpy(dst: Storage, src: Storage, alpha: number): void {
      ctx.run(axpyKernel(), [dst, src], [dst.size, alpha], flatGroups(dst.size));
    },

    permute(x: Storage, shape: readonly number[], dims: readonly number[]): Storage {
      // The broadcast kernel walks any strides: x + 0 read through the permuted strides.
      const n = sizeOf(shape);
      const out = ctx.allocate(n);
      const strides = broadcastStrides(shape, shape);
      const outShape = dims.map((d) => shape[d]);
      const plan = collapseBroadcast(outShape, dims.map((d) => strides[d]), outShape.map(() => 0));
      ctx.run(
        broadcastKernel("add", plan.shape.length),
        [x, ctx.zero, out],
        [n, 0, 0, plan.shape, plan.aStrides, plan.bStrides],
        flatGroups(n),
      );
      return out;
    },

    randomUniform(size: number, seed: number, offset: number): Storage {
      const [lo, hi] = counterWords(seed, offset);
      const out = ctx.allocate(size);
      ctx.run(randomUniformKernel(), [out], [size, seed, lo, hi], flatGroups(size));
      return out;
    },
  };
}
