/**
 * Deterministic shuffling and sharding. The permutation of an epoch depends only on the
 * seed and the epoch, so every data-parallel rank computes the same global batches and
 * takes its own contiguous slice, and a resumed run sees the order the straight run saw.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { Rng } from "../rng.ts";
import type { Dataset } from "./dataset.ts";

/** A Fisher–Yates permutation of `0..n-1` for (`seed`, `epoch`). */
export function permutation(n: number, seed: number, epoch: number): Uint32Array {
  // Mixing the epoch into the seed (a 32-bit multiplicative hash) gives unrelated streams.
  const rng = new Rng((Math.imul(epoch + 1, 0x9e3779b1) ^ seed) >>> 0);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** Number of minibatches in an epoch of `n` samples (the last may be partial). */
export function stepsPerEpoch(n: number, batchSize: number): number {
  return Math.ceil(n / batchSize);
}

/** The global minibatch `step` of an epoch's permutation. */
export function batchIndices(perm: Uint32Array, step: number, batchSize: number): Uint32Array {
  return perm.subarray(step * batchSize, Math.min(perm.length, (step + 1) * batchSize));
}

/**
 * Rank `rank`'s contiguous slice of a global batch: sizes differ by at most one, and the
 * slices of ranks 0..world-1 concatenate to the batch.
 */
export function shardIndices(batch: Uint32Array, rank: number, world: number): Uint32Array {
  if (!Number.isInteger(world) || world < 1) {
    throw new UsageError("--workers", `expected a world size >= 1, got ${world}`);
  }
  if (!Number.isInteger(rank) || rank < 0 || rank >= world) {
    throw new UsageError("RANK", `expected a rank in 0..${world - 1}, got ${rank}`);
  }
  const base = Math.floor(batch.length / world), extra = batch.length % world;
  const start = rank * base + Math.min(rank, extra);
  return batch.subarray(start, start + base + (rank < extra ? 1 : 0));
}

/** Copies the samples and labels at `indices` into contiguous host arrays. */
export function gatherBatch(
  ds: Dataset,
  indices: Uint32Array,
): { x: Float32Array; y: Float32Array } {
  const size = ds.images.length / ds.count;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    x.set(ds.images.subarray(k * size, (k + 1) * size), i * size);
    y[i] = ds.labels[k];
  }
  return { x, y };
}
