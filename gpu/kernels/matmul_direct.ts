/**
 * The register-blocked matmul (matmul_direct.wgsl) for a given block shape, with the
 * quad loads and stores of its aligned (vec4 bindings) or edge (checked scalar) form.
 *
 * @module
 */

import type { FusedActivation } from "../../core/backend.ts";
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import { epilogue, MATMUL_K_CHUNK, quadStore } from "./matmul.ts";
import { type Operand, plainOperand } from "./operand.ts";
import direct from "./matmul_direct.wgsl" with { type: "text" };
import { directALoads } from "./matmul_direct_a.ts";

/** Block shape of a register-blocked product: TM×TN results per thread, WG_X×WG_Y threads. */
export interface DirectShape {
  /** Rows per thread; a multiple of 4. */
  readonly tm: number;
  /** Columns per thread; a multiple of 4. */
  readonly tn: number;
  /** Threads along the result's columns. */
  readonly wgX: number;
  /** Threads along the result's rows. */
  readonly wgY: number;
}

/** What one compiled register-blocked product is specialised for. */
export interface DirectProduct {
  readonly shape: DirectShape;
  readonly transA: boolean;
  readonly transB: boolean;
  /**
   * Bind the operands as `array<vec4<f32>>`: only for shapes where
   * {@link vec4Aligned} holds.
   */
  readonly vec4: boolean;
  readonly splitK: boolean;
  /** How operand A is read; plain `a` unless given. */
  readonly a?: Operand;
  /** Add a `bias` binding's value per column before the activation (default false). */
  readonly bias?: boolean;
  /** Applied to each result before it is stored (default none). */
  readonly act?: FusedActivation;
  /**
   * Share each row of threads' loads of op(A) across a subgroup (`directALoads`): needs
   * the device's `subgroups` feature and a shape of 8 rows per thread, 8 threads per row.
   */
  readonly subgroups?: boolean;
}

/**
 * Whether every row of A, B and the result (as stored) is a whole number of quads, so
 * that a quad never straddles a row and every binding is a multiple of 16 bytes (and
 * not empty: a binding of `array<vec4<f32>>` needs at least one).
 */
export function vec4Aligned(
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): boolean {
  return k > 0 && (transA ? m : k) % 4 === 0 && (transB ? k : n) % 4 === 0 && n % 4 === 0;
}

// quad_<x>(base, r, c, stride, rows, cols): words c..c+3 of row r of a [rows, cols]
// matrix whose rows are `stride` words apart, 0 outside it.

// From a vec4 binding. Branch-free: a CPU implementation runs a workgroup's threads as
// SIMD lanes, where a branch costs both sides; the index is clamped and the quad masked.
function vec4Quad(x: string): string {
  return `fn quad_${x}(base: u32, r: u32, c: u32, stride: u32, rows: u32, cols: u32) -> vec4<f32> {
  let i = min((base + r * stride + c) / 4u, arrayLength(&${x}) - 1u);
  return select(vec4<f32>(), ${x}[i], r < rows && c < cols);
}`;
}

// Through four checked calls of the operand's load_<x>.
function scalarQuad(x: string): string {
  return `fn quad_${x}(base: u32, r: u32, c: u32, stride: u32, rows: u32, cols: u32) -> vec4<f32> {
  var q = vec4<f32>();
  if (r < rows) {
    for (var i = 0u; i < 4u; i++) {
      if (c + i < cols) {
        q[i] = load_${x}(base + r * stride + c + i);
      }
    }
  }
  return q;
}`;
}

/**
 * The kernel of `p`: bindings are operand A's, then `b`, then `bias` if any, then
 * `result`; parameters `m`, `k`, `n`. Operand A is read through vec4 bindings only when
 * it is plain; a fused operand (an activation's gradient) is computed a word at a time.
 */
export function directMatmulKernel(p: DirectProduct): Kernel {
  const { tm, tn, wgX, wgY } = p.shape;
  const a = p.a ?? plainOperand("a");
  const bias = p.bias ?? false;
  const act = p.act ?? "none";
  const subgroups = p.subgroups ?? false;
  if (subgroups && (tm !== 8 || wgX !== 8)) {
    throw new RangeError(`subgroup sharing needs 8 rows per thread and 8 threads per row`);
  }
  const key = `matmul_direct:${tm}x${tn}:${wgX}x${wgY}:${p.transA}:${p.transB}:${p.vec4}:` +
    `${p.splitK}:${a.key}:${bias}:${act}:${subgroups}`;
  return memoKernel(key, () => {
    const element = p.vec4 ? "vec4<f32>" : "f32";
    const vec4A = p.vec4 && a.key === "plain";
    const b = plainOperand("b");
    return defineKernel({
      key,
      bindings: [
        ...a.bindings.map(([name, access]) => [name, access, vec4A ? element : "f32"] as const),
        ["b", "read", element],
        ...(bias ? [["bias", "read"] as const] : []),
        ["result", "read_write", element],
      ],
      params: [
        { name: "m", type: "u32" },
        { name: "k", type: "u32" },
        { name: "n", type: "u32" },
      ],
      constants: {
        TM: tm,
        TN: tn,
        WG_X: wgX,
        WG_Y: wgY,
        TRANS_A: p.transA,
        TRANS_B: p.transB,
        SPLIT_K: p.splitK,
        K_CHUNK: MATMUL_K_CHUNK,
      },
      sources: [
        directALoads(subgroups),
        vec4A ? vec4Quad("a") : `${a.code}\n${scalarQuad("a")}`,
        p.vec4 ? vec4Quad("b") : `${b.code}\n${scalarQuad("b")}`,
        epilogue(bias, act),
        quadStore(p.vec4),
        direct,
      ],
    });
  });
}

/** Workgroups (x over columns, y over row tiles of `slots` stacked products) for `[m, n]`. */
export function directMatmulGrid(
  shape: DirectShape,
  m: number,
  n: number,
  slots: number,
): [number, number] {
  return [Math.ceil(n / (shape.tn * shape.wgX)), Math.ceil(m / (shape.tm * shape.wgY)) * slots];
}
