/**
 * The WebGPU backend's products on the tuned matmul family: batched matmul (split along k
 * when k is long) and the linear layer forward and backward, with bias, activation and
 * the activation's gradient fused into the product's loads and stores.
 *
 * @module
 */

import type {
  Backend,
  LinearArgs,
  LinearBackwardArgs,
  MatmulArgs,
  Storage,
} from "../../core/backend.ts";
import { GpuLimitError } from "../device.ts";
import type { Kernel } from "../kernels/kernel.ts";
import { familyDispatch, kChunks, type MatmulFusion } from "../kernels/matmul_family.ts";
import { gradientOperand, plainOperand } from "../kernels/operand.ts";
import type { OpContext } from "../op_context.ts";
import { reduceInto } from "./reduction.ts";

/** The product methods of a {@link Backend}. */
export type ProductOps = Pick<Backend, "matmul" | "linear" | "linearBackward">;

/** {@link ProductOps} recorded through `ctx`, each on the variant its tuner chose. */
export function productOps(ctx: OpContext): ProductOps {
  return {
    matmul({ a, b, m, k, n, transA = false, transB = false, batch = 1 }: MatmulArgs): Storage {
      const out = ctx.allocate(batch * m * n);
      // A long k is summed in chunks by more workgroups, then the partial results are added.
      const chunks = kChunks(k);
      const splitK = chunks > 1;
      const problem = { m, k, n, transA, transB, batch };
      const { kernel, grid } = familyDispatch(ctx.matmulTuner.choose(problem), problem);
      const limit = ctx.device.limits.maxComputeWorkgroupsPerDimension;
      if (grid[1] > limit) {
        throw new GpuLimitError(
          "maxComputeWorkgroupsPerDimension",
          `a batch of ${batch} products of ${m} rows in ${chunks} chunks of k needs ` +
            `${grid[1]} workgroup rows`,
        );
      }
      const partial = splitK ? ctx.allocate(batch * chunks * m * n) : out;
      ctx.run(kernel, [a, b, partial], [m, k, n], grid);
      if (splitK) reduceInto(ctx, "sum", plainOperand("src"), [partial], out, batch, chunks, m * n);
      return out;
    },

    linear({ x, w, b, m, k, n, act }: LinearArgs): Storage {
      const out = ctx.allocate(m * n);
      const { kernel, grid } = fusedProduct(ctx, m, k, n, false, true, {
        a: plainOperand("a"),
        bias: b !== null,
        act,
      });
      ctx.run(kernel, b ? [x, w, b, out] : [x, w, out], [m, k, n], grid);
      return out;
    },

    linearBackward(
      { x, w, y, gy, m, k, n, act, hasBias, needInputGrad }: LinearBackwardArgs,
    ): { gx: Storage | null; gw: Storage; gb: Storage | null } {
      // gz = act'(y)·gy is never stored: each kernel below computes it as it loads it.
      const gz = act === "none" ? [gy] : [y, gy];
      const fusion = { a: gradientOperand("a", act), bias: false, act: "none" } as const;
      let gx: Storage | null = null;
      if (needInputGrad) {
        gx = ctx.allocate(m * k);
        const { kernel, grid } = fusedProduct(ctx, m, n, k, false, false, fusion);
        ctx.run(kernel, [...gz, w, gx], [m, n, k], grid);
      }
      const gw = ctx.allocate(n * k);
      const { kernel, grid } = fusedProduct(ctx, n, m, k, true, false, fusion);
      ctx.run(kernel, [...gz, x, gw], [n, m, k], grid);
      let gb: Storage | null = null;
      if (hasBias) {
        gb = ctx.allocate(n);
        reduceInto(ctx, "sum", gradientOperand("src", act), gz, gb, 1, m, n);
      }
      return { gx, gw, gb };
    },
  };
}

/** The tuned variant's kernel and grid for a fused product op(A)·op(B) → [m, n]. */
function fusedProduct(
  ctx: OpContext,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  fusion: MatmulFusion,
): { kernel: Kernel; grid: [number, number] } {
  const problem = { m, k, n, transA, transB, batch: 1 };
  return familyDispatch(ctx.matmulTuner.choose(problem), problem, fusion);
}
