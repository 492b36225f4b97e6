/**
 * Counter-based random numbers: Philox2x32-10 (Salmon et al., "Parallel Random Numbers:
 * As Easy as 1, 2, 3", SC 2011), the generator behind PyTorch's CUDA dropout. Element `i`
 * of a fill is a pure function of `(seed, offset + i)`, so any backend computes it in
 * parallel with no state, and the WebGPU kernel (gpu/kernels/random.wgsl) does the same
 * 32-bit integer arithmetic, giving bit-identical values.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const PHILOX_M = 0xd256d193;
const PHILOX_W = 0x9e3779b9;
const TWO_32 = 0x100000000;

/** High 32 bits of the 64-bit product of two u32s, from 16-bit halves (every partial is exact). */
function mulHi(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16, bLo = b & 0xffff, bHi = b >>> 16;
  const lh = aLo * bHi, hl = aHi * bLo;
  const mid = ((aLo * bLo) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (aHi * bHi + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/**
 * Philox2x32 with 10 rounds: the two output words for counter `[c0, c1]` under `key`
 * (Random123's `philox2x32_R(10, ctr, key)`).
 * @example
 * ```ts
 * import { philox2x32 } from "./random.ts";
 * // Random123's known answer for counter [0x243f6a88, 0x85a308d3], key 0x13198a2e.
 * console.log(philox2x32(0x243f6a88, 0x85a308d3, 0x13198a2e).map((w) => w.toString(16))); // ["dd7ce038", "f62a4c12"]
 * ```
 */
export function philox2x32(c0: number, c1: number, key: number): [number, number] {
  let x0 = c0 >>> 0, x1 = c1 >>> 0, k = key >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi = mulHi(PHILOX_M, x0);
    const lo = Math.imul(PHILOX_M, x0) >>> 0;
    x0 = (hi ^ k ^ x1) >>> 0;
    x1 = lo;
    k = (k + PHILOX_W) >>> 0;
  }
  return [x0, x1];
}

/**
 * Checks a fill's `seed` (a u32) and `offset` (a non-negative safe integer) and splits the
 * offset into the counter's low and high words.
 */
export function counterWords(seed: number, offset: number): [lo: number, hi: number] {
  if (!Number.isInteger(seed) || seed < 0 || seed >= TWO_32) {
    throw new UsageError("randomUniform", `seed must be an integer in [0, 2³²), got ${seed}`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new UsageError(
      "randomUniform",
      `offset must be a non-negative safe integer, got ${offset}`,
    );
  }
  return [offset % TWO_32, Math.floor(offset / TWO_32)];
}

/**
 * `size` uniform floats in [0, 1): element i is the first Philox2x32-10 word of the 64-bit
 * counter `offset + i` (low word first) under key `seed`, its top 24 bits divided by 2²⁴
 * (exact in float32).
 * @example
 * ```ts
 * import { philoxUniform } from "./random.ts";
 * const u = philoxUniform(4, 7, 0);
 * console.log(u.every((v) => v >= 0 && v < 1)); // true
 * console.log(philoxUniform(2, 7, 2)[0] === u[2]); // true
 * ```
 */
export function philoxUniform(size: number, seed: number, offset: number): Float32Array {
  const [lo, hi] = counterWords(seed, offset);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const c0 = lo + i;
    const [word] = c0 >= TWO_32 ? philox2x32(c0 - TWO_32, hi + 1, seed) : philox2x32(c0, hi, seed);
    out[i] = (word >>> 8) / 16777216;
  }
  return out;
}
