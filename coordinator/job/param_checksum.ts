/**
 * Cross-rank parameter checksums: every rank hashes the bytes of its flat parameters,
 * the hashes are gathered through a sum all-reduce, and ranks whose hash differs from
 * rank 0's are named. Data-parallel ranks take bitwise identical steps, so any
 * difference is a bug or a corrupted rank, caught before it spreads into a checkpoint.
 *
 * @module
 */

import { ParameterMismatchError } from "./job_errors.ts";

// A 32-bit hash travels as two 16-bit halves: f32 holds integers up to 2^24 exactly, and
// a sum with zeros leaves each half unchanged.
const HALVES = 2;

/** Floats of the gathered vector for `world` ranks: two halves of one hash per rank. */
export function checksumVectorLength(world: number): number {
  return HALVES * world;
}

/**
 * 32-bit FNV-1a of `bytes`.
 *
 * @example
 * ```ts
 * import { fnv1a32 } from "./param_checksum.ts";
 * fnv1a32(new TextEncoder().encode("a")); // 0xe40c292c
 * ```
 */
export function fnv1a32(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  return hash >>> 0;
}

/** What {@link checkParametersAgree} needs to know. */
export interface ChecksumExchange {
  readonly rank: number;
  readonly world: number;
  readonly step: number;
  /** Sums a vector of {@link checksumVectorLength} floats across ranks. */
  sum(vector: Float32Array<ArrayBuffer>): Promise<Float32Array>;
  /** Where a rank lives, for the error. */
  addressOf(rank: number): string;
}

const hex = (hash: number) => `0x${hash.toString(16).padStart(8, "0")}`;

/**
 * Gathers every rank's hash of `params` and throws a {@link ParameterMismatchError}
 * naming the ranks whose hash differs from rank 0's. Every rank calls it at the same step
 * and every rank reaches the same verdict.
 *
 * @example One rank agrees with itself
 * ```ts
 * import { checkParametersAgree } from "./param_checksum.ts";
 * await checkParametersAgree(new Float32Array([1, 2]), {
 *   rank: 0, world: 1, step: 100, sum: async (v) => v, addressOf: () => "memory",
 * });
 * ```
 */
export async function checkParametersAgree(
  params: Float32Array,
  exchange: ChecksumExchange,
): Promise<void> {
  const { rank, world, step } = exchange;
  const hash = fnv1a32(new Uint8Array(params.buffer, params.byteOffset, params.byteLength));
  const vector = new Float32Array(checksumVectorLength(world));
  vector[HALVES * rank] = hash >>> 16;
  vector[HALVES * rank + 1] = hash & 0xffff;
  const gathered = await exchange.sum(vector);
  const hashes = Array.from(
    { length: world },
    (_, r) => ((gathered[HALVES * r] << 16) | gathered[HALVES * r + 1]) >>> 0,
  );
  const differing = hashes.flatMap((h, r) => (h === hashes[0] ? [] : [r]));
  if (differing.length === 0) return;
  const first = differing[0];
  const listed = differing.map((r) => `rank ${r} ${hex(hashes[r])}`).join(", ");
  throw new ParameterMismatchError(
    first,
    exchange.addressOf(first),
    step,
    differing,
    `parameters differ from rank 0's (checksum ${hex(hashes[0])}): ${listed}`,
  );
}
