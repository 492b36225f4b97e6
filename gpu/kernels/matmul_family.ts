/**
 * The matmul variants an adapter can choose between, and how each one is dispatched for
 * a given product: the shared-memory tiled kernel (matmul.ts) and register-blocked
 * kernels (matmul_direct.ts) of several block shapes, each of the latter in an aligned
 * vec4 form and a checked scalar form picked by the shape.
 *
 * @module
 */

import type { Kernel } from "./kernel.ts";
import { MATMUL_K_CHUNK, matmulGrid, matmulKernel } from "./matmul.ts";
import {
  directMatmulGrid,
  directMatmulKernel,
  type DirectShape,
  vec4Aligned,
} from "./matmul_direct.ts";
import { plainOperand } from "./operand.ts";

/** One member of the family, by the name that the tuning cache and `GRADMESH_MATMUL` use. */
export type MatmulFamilyMember =
  | { readonly name: string; readonly kind: "tiled" }
  | { readonly name: string; readonly kind: "direct"; readonly shape: DirectShape };

function direct(tm: number, tn: number, wgX: number, wgY: number): MatmulFamilyMember {
  return { name: `direct-${tm}x${tn}-${wgX}x${wgY}`, kind: "direct", shape: { tm, tn, wgX, wgY } };
}

/**
 * Every variant. Block results per workgroup: tiled 64×64; direct 32×64, 64×64, 64×128,
 * 64×64 (tall blocks per thread) and 8×128 (for products of a few rows).
 */
export const MATMUL_FAMILY: readonly MatmulFamilyMember[] = [
  { name: "tiled-64x64", kind: "tiled" },
  direct(4, 8, 8, 8),
  direct(8, 8, 8, 8),
  direct(4, 8, 16, 16),
  direct(8, 4, 16, 8),
  direct(4, 4, 32, 2),
];

/** The member called `name`, or undefined. */
export function familyMember(name: string): MatmulFamilyMember | undefined {
  return MATMUL_FAMILY.find((v) => v.name === name);
}

/** A product to dispatch: `batch` products of op(A) [m, k] · op(B) [k, n]. */
export interface MatmulProblem {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly batch: number;
}

/** How many chunks of {@link MATMUL_K_CHUNK} a product sums separately (1: no split k). */
export function kChunks(k: number): number {
  return k > MATMUL_K_CHUNK ? Math.ceil(k / MATMUL_K_CHUNK) : 1;
}

/** The kernel and grid of `member` for `p`; bindings `a`, `b`, `result`, params m, k, n. */
export function familyDispatch(
  member: MatmulFamilyMember,
  p: MatmulProblem,
): { kernel: Kernel; grid: [number, number] } {
  const chunks = kChunks(p.k);
  const splitK = chunks > 1;
  const slots = p.batch * chunks;
  if (member.kind === "tiled") {
    const kernel = matmulKernel({
      transA: p.transA,
      transB: p.transB,
      a: plainOperand("a"),
      bias: false,
      act: "none",
      splitK,
    });
    return { kernel, grid: matmulGrid(p.m, p.n, slots) };
  }
  const kernel = directMatmulKernel({
    shape: member.shape,
    transA: p.transA,
    transB: p.transB,
    vec4: vec4Aligned(p.m, p.k, p.n, p.transA, p.transB),
    splitK,
  });
  return { kernel, grid: directMatmulGrid(member.shape, p.m, p.n, slots) };
}

/** Threads per workgroup of `member`. */
export function familyThreads(member: MatmulFamilyMember): number {
  return member.kind === "tiled" ? 256 : member.shape.wgX * member.shape.wgY;
}

function sizeClass(x: number): string {
  return x <= 32 ? "s" : x <= 256 ? "m" : x <= 2048 ? "l" : "xl";
}

/**
 * The shape class that one tuning choice covers: transposes, whether the vec4 form
 * applies, and each of m, k, n as ≤32, ≤256, ≤2048 or more.
 */
export function shapeClass(p: MatmulProblem): string {
  const t = `${p.transA ? "T" : "N"}${p.transB ? "T" : "N"}`;
  const v = vec4Aligned(p.m, p.k, p.n, p.transA, p.transB) ? "v4" : "s";
  return `${t}:${v}:m${sizeClass(p.m)}k${sizeClass(p.k)}n${sizeClass(p.n)}`;
}
