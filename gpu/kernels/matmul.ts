/**
 * The tiled matrix product and its fused variants. One WGSL body (matmul.wgsl) serves
 * plain `op(A)·op(B)`, the linear layer's forward pass (bias and activation applied to
 * each result before it is stored) and both products of its backward pass (operand A
 * being the activation gradient, computed as it is loaded).
 *
 * @module
 */

import type { FusedActivation } from "../../core/backend.ts";
import { unaryFunction } from "./elementwise.ts";
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import matmul from "./matmul.wgsl" with { type: "text" };
import { scalarStaging, vec4Staging } from "./matmul_staging.ts";
import { type Operand, plainOperand } from "./operand.ts";

/** A tiled kernel's shape: BM×BN results per workgroup, TM×TN per thread, k in steps of BK. */
export interface MatmulTile {
  readonly BM: number;
  readonly BN: number;
  readonly BK: number;
  /** Rows per thread, a multiple of 4. */
  readonly TM: number;
  /** Columns per thread, a multiple of 4. */
  readonly TN: number;
}

/**
 * The tile of the linear layer's fused products, and of `matmul` on a GPU until tuned:
 * 64×64 results per workgroup of 16×16 threads, each accumulating a 4×4 block, stepping
 * through k by 16. Measured at n = 256–4096: on llvmpipe 0.53 GFLOP/s against 0.37 for
 * scalar shared-memory loads, 0.22–0.31 for 8×8 blocks per thread (register spills) and
 * 0.36–0.48 for 32×32 or 128×64 tiles; on an H100 6–8 TFLOP/s at n ≥ 2048, where other
 * tiles of 64–128 and BK of 8–32 were within noise, and 32×32 half that.
 */
export const MATMUL_TILE: MatmulTile = { BM: 64, BN: 64, BK: 16, TM: 4, TN: 4 };

/**
 * The slice of k that one workgroup of a split-k product sums. A long k (a weight
 * gradient summed over every pixel of a batch) would otherwise leave a few workgroups
 * looping while the rest of the device idles; llvmpipe also stops any loop after 65,535
 * iterations in all, which a k of 65,536 reaches.
 */
export const MATMUL_K_CHUNK = 2048;

/** The compile-time shape of one matmul variant. */
export interface MatmulVariant {
  transA: boolean;
  transB: boolean;
  /** How operand A is read; its name must be `a`. */
  a: Operand;
  /** Add a `bias` binding's value per column before the activation. */
  bias: boolean;
  act: FusedActivation;
  /**
   * Split k into chunks of {@link MATMUL_K_CHUNK}: product `p` of the batch writes
   * `ceil(k / MATMUL_K_CHUNK)` partial results, for a reduction to sum (default false).
   */
  splitK?: boolean;
  /**
   * Load the tiles a quad at a time and store quads, through `vec4<f32>` bindings (operand
   * A only when plain): only for shapes where `vec4Aligned` holds and tiles where
   * `vec4Tile` does (default false).
   */
  vec4?: boolean;
}

/**
 * WGSL `epilogue(v, col)`: what a product applies to each result before storing it (the
 * bias of column `col`, then `act`).
 */
export function epilogue(bias: boolean, act: FusedActivation): string {
  const value = bias ? "v + bias[col]" : "v";
  const activation = act === "none" ? "" : `${unaryFunction(act)}\n`;
  return `${activation}fn epilogue(v: f32, col: u32) -> f32 {\n  return ${
    act === "none" ? value : `unary_op(${value}, 0.0, 0.0)`
  };\n}`;
}

const VEC4_STORE = `fn store_quad(base: u32, r: u32, c: u32, v: vec4<f32>) {
  if (r < params.m && c < params.n) {
    result[(base + r * params.n + c) / 4u] = vec4<f32>(
      epilogue(v.x, c), epilogue(v.y, c + 1u), epilogue(v.z, c + 2u), epilogue(v.w, c + 3u));
  }
}`;

const SCALAR_STORE = `fn store_quad(base: u32, r: u32, c: u32, v: vec4<f32>) {
  if (r < params.m) {
    for (var i = 0u; i < 4u; i++) {
      if (c + i < params.n) {
        result[base + r * params.n + c + i] = epilogue(v[i], c + i);
      }
    }
  }
}`;

/**
 * WGSL `store_quad(base, r, c, v)`: results `v` at row `r`, columns `c..c+3` of the
 * product at word `base` of `result`, each through `epilogue`; none outside the matrix.
 * As one vec4 (a `vec4<f32>` result binding, n a multiple of 4) or four checked words.
 */
export function quadStore(vec4: boolean): string {
  return vec4 ? VEC4_STORE : SCALAR_STORE;
}

/**
 * Grid of workgroups (x over columns, y over rows) for an `[m, n]` result, or `batch` of
 * them stacked along y (with split k, a batch of products times their chunks).
 */
export function matmulGrid(
  m: number,
  n: number,
  batch = 1,
  tile: MatmulTile = MATMUL_TILE,
): [number, number] {
  return [Math.ceil(n / tile.BN), Math.ceil(m / tile.BM) * batch];
}

/**
 * The kernel for `v` on `tile`: bindings are operand A's, then `b`, then `bias` if any,
 * then `result`; parameters `m`, `k`, `n`.
 */
export function matmulKernel(v: MatmulVariant, tile: MatmulTile = MATMUL_TILE): Kernel {
  const splitK = v.splitK ?? false;
  const shape = `${tile.BM}x${tile.BN}x${tile.BK}:${tile.TM}x${tile.TN}`;
  const vec4 = v.vec4 ?? false;
  const key = `matmul:${shape}:${v.transA}:${v.transB}:${v.a.key}:${v.bias}:${v.act}:${splitK}` +
    `:${vec4}`;
  return memoKernel(key, () => {
    const b = plainOperand("b");
    const vec4A = vec4 && v.a.key === "plain";
    const element = (quads: boolean) => quads ? "vec4<f32>" as const : "f32" as const;
    return defineKernel({
      key,
      bindings: [
        ...v.a.bindings.map(([name, access]) => [name, access, element(vec4A)] as const),
        ["b", "read", element(vec4)],
        ...(v.bias ? [["bias", "read"] as const] : []),
        ["result", "read_write", element(vec4)],
      ],
      params: [
        { name: "m", type: "u32" },
        { name: "k", type: "u32" },
        { name: "n", type: "u32" },
      ],
      constants: {
        ...tile,
        TRANS_A: v.transA,
        TRANS_B: v.transB,
        SPLIT_K: splitK,
        K_CHUNK: MATMUL_K_CHUNK,
      },
      sources: [
        vec4A ? vec4Staging("a") : `${v.a.code}\n${scalarStaging("a")}`,
        vec4 ? vec4Staging("b") : `${b.code}\n${scalarStaging("b")}`,
        epilogue(v.bias, v.act),
        quadStore(vec4),
        matmul,
      ],
    });
  });
}
