/**
 * Deterministic shuffling and sharding for single-process and data-parallel training.
 *
 * The order of an epoch depends only on (seed, epoch): a Fisher–Yates shuffle driven by
 * the portable {@link Rng} seeded from a hash of the two. Everything is 32-bit integer
 * arithmetic and bounded draws reject rather than scale, so every machine and
 * engine computes the same permutation, every data-parallel rank the same global batches,
 * and a resumed run the order the straight run saw. Each rank then takes a contiguous
 * slice of the global batch, so 1, 2 or 4 workers together see exactly the same samples.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { Rng } from "../rng.ts";
import { type Dataset, sampleSize } from "./dataset.ts";

const UINT32_MAX = 0xffffffff;

/**
 * A Fisher–Yates permutation of `0..n-1` for (`seed`, `epoch`), both integers in
 * 0..2³²−1. For a fixed seed every epoch has its own stream, and likewise every seed for
 * a fixed epoch.
 *
 * @example
 * ```ts
 * import { permutation } from "./sampler.ts";
 * const perm = permutation(5, 0, 0);
 * console.log([...perm].sort()); // [ 0, 1, 2, 3, 4 ]
 * ```
 */
export function permutation(n: number, seed: number, epoch: number): Uint32Array {
  if (!isUint32(seed)) {
    throw new UsageError("seed", `expected an integer in 0..${UINT32_MAX}, got ${seed}`);
  }
  if (!isUint32(epoch) || !isUint32(n)) {
    throw new RangeError(
      `permutation: expected n and epoch in 0..${UINT32_MAX}, got ${n}, ${epoch}`,
    );
  }
  const rng = new Rng(mix32(seed ^ mix32(epoch ^ 0x9e3779b9)));
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

/**
 * Number of minibatches in an epoch of `n` samples; the last may be partial (PyTorch's
 * `DataLoader` with `drop_last=False`).
 *
 * @example
 * ```ts
 * import { stepsPerEpoch } from "./sampler.ts";
 * console.log(stepsPerEpoch(10, 4)); // 3
 * ```
 */
export function stepsPerEpoch(n: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new UsageError("batchSize", `expected a positive integer, got ${batchSize}`);
  }
  return Math.ceil(n / batchSize);
}

/**
 * The global minibatch `step` of an epoch's permutation: `batchSize` indices, fewer for
 * the last step. A view into `perm`, not a copy.
 *
 * @example
 * ```ts
 * import { batchIndices } from "./sampler.ts";
 * console.log(batchIndices(Uint32Array.of(4, 2, 0, 3, 1), 1, 3)); // Uint32Array(2) [ 3, 1 ]
 * ```
 */
export function batchIndices(perm: Uint32Array, step: number, batchSize: number): Uint32Array {
  const steps = stepsPerEpoch(perm.length, batchSize);
  if (!Number.isInteger(step) || step < 0 || step >= steps) {
    throw new RangeError(`batchIndices: expected a step in 0..${steps - 1}, got ${step}`);
  }
  return perm.subarray(step * batchSize, Math.min(perm.length, (step + 1) * batchSize));
}

/**
 * Rank `rank`'s contiguous slice of a global batch (a view): the rows
 * {@link shardRange} gives. The slices of ranks 0..worldSize−1 concatenate to the batch
 * exactly. A batch smaller than the world leaves some ranks an empty slice, so averaging
 * across ranks must weight each rank by its slice length.
 *
 * @example
 * ```ts
 * import { shardIndices } from "./sampler.ts";
 * const batch = Uint32Array.of(9, 8, 7, 6, 5);
 * console.log(shardIndices(batch, 0, 2), shardIndices(batch, 1, 2));
 * // Uint32Array(3) [ 9, 8, 7 ] Uint32Array(2) [ 6, 5 ]
 * ```
 */
export function shardIndices(batch: Uint32Array, rank: number, worldSize: number): Uint32Array {
  return batch.subarray(...shardRange(batch.length, rank, worldSize));
}

/**
 * Rows `[start, end)` of a global batch of `rows` that rank `rank` of `worldSize` trains
 * on: slice sizes differ by at most one, the larger ones first. `start` is where the
 * rank's samples sit in the global batch, which places its dropout masks.
 *
 * @example
 * ```ts
 * import { shardRange } from "./sampler.ts";
 * console.log(shardRange(5, 0, 2), shardRange(5, 1, 2)); // [ 0, 3 ] [ 3, 5 ]
 * ```
 */
export function shardRange(rows: number, rank: number, worldSize: number): [number, number] {
  if (!Number.isInteger(worldSize) || worldSize < 1) {
    throw new UsageError("workers", `expected a world size of at least 1, got ${worldSize}`);
  }
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new UsageError("RANK", `expected a rank in 0..${worldSize - 1}, got ${rank}`);
  }
  const base = Math.floor(rows / worldSize), extra = rows % worldSize;
  const start = rank * base + Math.min(rank, extra);
  return [start, start + base + (rank < extra ? 1 : 0)];
}

/**
 * Copies the samples and labels at `indices` into contiguous arrays: `x` holds
 * `indices.length × sampleSize` values row by row, `y` the labels (or each row's
 * regression targets).
 *
 * @example
 * ```ts
 * import { gatherBatch } from "./sampler.ts";
 * const ds = { images: Float32Array.of(0, 1, 2, 3), labels: Float32Array.of(5, 6), count: 2, sampleShape: [2], classes: 7 };
 * console.log(gatherBatch(ds, Uint32Array.of(1)).x); // Float32Array(2) [ 2, 3 ]
 * ```
 */
export function gatherBatch(
  ds: Dataset,
  indices: Uint32Array,
): { x: Float32Array; y: Float32Array } {
  const size = sampleSize(ds);
  const width = ds.targets ?? 1;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (k >= ds.count) {
      throw new RangeError(`gatherBatch: index ${k} is out of range for ${ds.count} samples`);
    }
    x.set(ds.images.subarray(k * size, (k + 1) * size), i * size);
    y.set(ds.labels.subarray(k * width, (k + 1) * width), i * width);
  }
  return { x, y };
}

function isUint32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= UINT32_MAX;
}

/**
 * A bijective 32-bit finaliser (lowbias32): every input bit affects every output bit, so
 * keys that differ in one bit seed unrelated streams.
 *
 * @example
 * ```ts
 * import { mix32 } from "./sampler.ts";
 * console.log(mix32(1) !== mix32(2)); // true
 * ```
 */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}
