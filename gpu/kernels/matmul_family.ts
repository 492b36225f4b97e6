/**
 * The matmul variants an adapter can choose between, and how each one is dispatched for
 * a given product: shared-memory tiled kernels (matmul.ts) and register-blocked
 * kernels (matmul_direct.ts) of several block shapes; the direct ones and the tiled `-v4`
 * ones each in an aligned vec4 form and a checked scalar form picked by the shape.
 *
 * @module
 */

import type { FusedActivation } from "../../core/backend.ts";
import type { Kernel } from "./kernel.ts";
import {
  MATMUL_K_CHUNK,
  MATMUL_TILE,
  matmulGrid,
  matmulKernel,
  type MatmulTile,
} from "./matmul.ts";
import {
  directMatmulGrid,
  directMatmulKernel,
  type DirectShape,
  vec4Aligned,
} from "./matmul_direct.ts";
import { vec4Tile } from "./matmul_staging.ts";
import { type Operand, plainOperand } from "./operand.ts";

/** One member of the family, by the name that the tuning cache and `GRADMESH_MATMUL` use. */
export type MatmulFamilyMember =
  | {
    readonly name: string;
    readonly kind: "tiled";
    readonly tile: MatmulTile;
    /** Quad loads and stores where the shape allows (see `vec4Staging`). */
    readonly vec4: boolean;
  }
  | {
    readonly name: string;
    readonly kind: "direct";
    readonly shape: DirectShape;
    /** Loads of op(A) shared across a subgroup; needs the device's `subgroups` feature. */
    readonly subgroups: boolean;
  };

function direct(tm: number, tn: number, wgX: number, wgY: number, subgroups = false) {
  const name = `direct-${tm}x${tn}-${wgX}x${wgY}${subgroups ? "-sg" : ""}`;
  const member: MatmulFamilyMember = {
    name,
    kind: "direct",
    shape: { tm, tn, wgX, wgY },
    subgroups,
  };
  return member;
}

function tiled(tile: MatmulTile, vec4 = false): MatmulFamilyMember {
  if (vec4 && !vec4Tile(tile)) {
    throw new RangeError(`no quad staging for tile ${tile.BM}x${tile.BN}`);
  }
  return { name: `tiled-${tile.BM}x${tile.BN}${vec4 ? "-v4" : ""}`, kind: "tiled", tile, vec4 };
}

/**
 * Every variant. Results per workgroup: tiled 64×64 (4×4 per thread), 128×128 (8×8) and
 * 128×64 (8×4), the first two also with quad loads and stores (`-v4`); direct 32×64,
 * 64×64, 64×128, 64×64 (tall blocks per thread) and 8×128 (for products of a few rows),
 * and 64×64 again with loads of A shared across a subgroup (`-sg`).
 */
export const MATMUL_FAMILY: readonly MatmulFamilyMember[] = [
  tiled(MATMUL_TILE),
  tiled({ BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 }),
  tiled({ BM: 128, BN: 64, BK: 8, TM: 8, TN: 4 }),
  tiled(MATMUL_TILE, true),
  tiled({ BM: 128, BN: 128, BK: 8, TM: 8, TN: 8 }, true),
  direct(4, 8, 8, 8),
  direct(8, 8, 8, 8),
  direct(4, 8, 16, 16),
  direct(8, 4, 16, 8),
  direct(4, 4, 32, 2),
  direct(8, 8, 8, 8, true),
];

/** Whether `member` can run on `device` (the subgroup variant needs `subgroups`). */
export function runsOn(member: MatmulFamilyMember, device: GPUDevice): boolean {
  return member.kind === "tiled" || !member.subgroups || device.features.has("subgroups");
}

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

/**
 * What a fused product (the linear layer's) adds: how operand A is read, a bias and an
 * activation applied to each result. A fused product never splits k.
 */
export interface MatmulFusion {
  readonly a: Operand;
  readonly bias: boolean;
  readonly act: FusedActivation;
}

/**
 * The kernel and grid of `member` for `p`: bindings operand A's (`a` unless fused), `b`,
 * `bias` if fused with one, `result`; params m, k, n.
 */
export function familyDispatch(
  member: MatmulFamilyMember,
  p: MatmulProblem,
  fused?: MatmulFusion,
): { kernel: Kernel; grid: [number, number] } {
  const chunks = fused ? 1 : kChunks(p.k);
  const splitK = chunks > 1;
  const slots = p.batch * chunks;
  const { a, bias, act } = fused ?? { a: plainOperand("a"), bias: false, act: "none" as const };
  if (member.kind === "tiled") {
    const vec4 = member.vec4 && vec4Aligned(p.m, p.k, p.n, p.transA, p.transB);
    const kernel = matmulKernel(
      { transA: p.transA, transB: p.transB, a, bias, act, splitK, vec4 },
      member.tile,
    );
    return { kernel, grid: matmulGrid(p.m, p.n, slots, member.tile) };
  }
  const kernel = directMatmulKernel({
    shape: member.shape,
    transA: p.transA,
    transB: p.transB,
    vec4: vec4Aligned(p.m, p.k, p.n, p.transA, p.transB),
    splitK,
    a,
    bias,
    act,
    subgroups: member.subgroups,
  });
  return { kernel, grid: directMatmulGrid(member.shape, p.m, p.n, slots) };
}

/** Threads per workgroup of `member`. */
export function familyThreads(member: MatmulFamilyMember): number {
  if (member.kind === "tiled") {
    return (member.tile.BM / member.tile.TM) * (member.tile.BN / member.tile.TN);
  }
  return member.shape.wgX * member.shape.wgY;
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
