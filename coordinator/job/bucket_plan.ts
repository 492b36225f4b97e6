/**
 * How a step's collectives are laid out on the wire: the flat gradient cut into buckets,
 * last layer first, plus two small fixed-size vectors (metric totals, parameter
 * checksums), with `--sync-bn` every batch norm layer's statistics and their
 * gradients, and with `--powersgd` the three vectors of a compressed step, each reduced
 * under its own bucket id. Every rank derives the same plan from
 * the same numbers, so a rank's ring endpoint knows the length of every chunk it may
 * receive before the body arrives, and refuses any other. Each is reduced by the algorithm
 * `--allreduce` names (`auto`: chosen per bucket from its size); gradient buckets travel in
 * `--grad-dtype`, every other vector in fp32, since checksums and counts must be exact.
 *
 * @module
 */

import type { SyncPass } from "../../core/train/fit.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import type { ChunkKey } from "../transport/link.ts";
import { checksumVectorLength } from "./param_checksum.ts";
import type { AllReduceAlgorithm } from "../transport/algorithm_choice.ts";
import { AllReducePlan } from "../transport/all_reduce.ts";
import { DEFAULT_CHUNK_ELEMS } from "../transport/ring_plan.ts";
import type { WireDtype } from "../transport/wire_dtype.ts";

/** Default gradient bucket: 25 MiB of floats, PyTorch DDP's `bucket_cap_mb`. */
export const DEFAULT_BUCKET_ELEMS = (25 * 2 ** 20) / Float32Array.BYTES_PER_ELEMENT;

/**
 * Floats that bucket sizes are rounded up to a multiple of: 256 bytes, the largest
 * `minStorageBufferOffsetAlignment` WebGPU allows, so that in a flat gradient padded to a
 * backend's view alignment every bucket starts where that backend can take a view.
 */
export const BUCKET_ALIGNMENT = 64;

/** `bucketElems` rounded up to a multiple of {@link BUCKET_ALIGNMENT}. */
export function alignedBucketElems(bucketElems: number): number {
  return Math.ceil(bucketElems / BUCKET_ALIGNMENT) * BUCKET_ALIGNMENT;
}

/** Floats of the vector `sumAcross` reduces: shorter vectors are padded, longer refused. */
export const SUM_CAPACITY = 16;

/** How a job's vectors are all-reduced. */
export interface CollectiveSettings {
  /** `--allreduce`. Default `ring`. */
  readonly algorithm?: AllReduceAlgorithm;
  /** `--grad-dtype`: the wire format of gradient buckets. Default `fp32`. */
  readonly gradDtype?: WireDtype;
  /** Host of each rank, by rank, from the rendezvous. Default: all on one host. */
  readonly hosts?: readonly string[];
  /** `--streams`: gradient chunks spread each transfer over this many connections. */
  readonly streams?: number;
  /**
   * With `--powersgd`: the floats of a compressed step's three vectors (the parameters sent
   * whole, P, Q: `PowerSgd.vectorLengths`), each reduced under a bucket id of its own.
   */
  readonly powerSgdLengths?: readonly number[];
}

/** Floats `[start, end)` of the flat gradient, reduced under bucket id `id`. */
export interface Bucket {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

/**
 * The collectives of one job.
 *
 * @example
 * ```ts
 * import { BucketPlan } from "./bucket_plan.ts";
 * const plan = new BucketPlan(10, 2, 4);
 * plan.buckets; // [{ id: 0, start: 6, end: 10 }, { id: 1, start: 2, end: 6 }, { id: 2, start: 0, end: 2 }]
 * plan.chunkLengthFor(1)({ step: 7, bucket: 0, chunk: 0 }, 0); // 2
 * ```
 */
export class BucketPlan {
  /** Gradient buckets, the last floats (last layer) first. */
  readonly buckets: readonly Bucket[];
  /** Bucket id of `sumAcross` ({@link SUM_CAPACITY} floats). */
  readonly sumBucket: number;
  /** Bucket id of the parameter checksum exchange. */
  readonly checksumBucket: number;
  /** Bucket ids of PowerSGD's vectors, in `CollectiveSettings.powerSgdLengths` order. */
  readonly powerSgdBuckets: readonly number[];
  readonly #plans: readonly AllReducePlan[];

  constructor(
    /** Floats in the flat gradient buffer. */
    readonly length: number,
    readonly world: number,
    readonly bucketElems: number = DEFAULT_BUCKET_ELEMS,
    readonly chunkElems: number = DEFAULT_CHUNK_ELEMS,
    /** Channels of each batch norm layer that sums its statistics across ranks, in order. */
    readonly syncBatchNorm: readonly number[] = [],
    /** How the vectors are all-reduced. */
    readonly settings: CollectiveSettings = {},
  ) {
    if (!Number.isSafeInteger(bucketElems) || bucketElems < 1) {
      throw new RangeError(`bucketElems must be an integer >= 1, got ${bucketElems}`);
    }
    const buckets: Bucket[] = [];
    for (let end = length; end > 0; end -= bucketElems) {
      buckets.push({ id: buckets.length, start: Math.max(0, end - bucketElems), end });
    }
    this.buckets = buckets;
    this.sumBucket = buckets.length;
    this.checksumBucket = buckets.length + 1;
    const { algorithm, gradDtype, hosts, streams, powerSgdLengths = [] } = settings;
    const gradients = buckets.map((b) =>
      new AllReducePlan(b.end - b.start, world, {
        algorithm,
        hosts,
        chunkElems,
        streams,
        dtype: gradDtype,
      })
    );
    const others = [
      SUM_CAPACITY,
      checksumVectorLength(world),
      // Forward: Σx, Σx² and the count; backward: the gradients of both sums.
      ...syncBatchNorm.flatMap((c) => [2 * c + 1, 2 * c]),
      ...powerSgdLengths,
    ];
    this.powerSgdBuckets = powerSgdLengths.map((_, i) =>
      buckets.length + others.length - powerSgdLengths.length + i
    );
    this.#plans = [
      ...gradients,
      ...others.map((n) => new AllReducePlan(n, world, { algorithm, hosts, chunkElems })),
    ];
  }

  /**
   * The `chunkLengthFor` of rank `rank`'s ring endpoint: the floats in the chunk `from`
   * sends under `key`, or `undefined` when no such chunk exists.
   */
  chunkLengthFor(rank: number): (key: ChunkKey, from: number) => number | undefined {
    return (key, from) => this.#plans[key.bucket]?.chunkLength(rank, from, key.chunk);
  }

  /** Bucket id of sync batch norm layer `layer`'s sum in pass `pass`. */
  batchNormBucket(layer: number, pass: SyncPass): number {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.syncBatchNorm.length) {
      throw new RangeError(
        `batch norm layer ${layer} is not in the plan's ${this.syncBatchNorm.length}`,
      );
    }
    return this.checksumBucket + 1 + 2 * layer + (pass === "backward" ? 1 : 0);
  }

  /** The all-reduce of bucket id `bucket`. */
  collective(bucket: number): AllReducePlan {
    return this.#plans[bucket];
  }
}

/**
 * The plan of a job whose ranks train `trainer`'s model (built once, before the first step:
 * a fast peer may send before this rank trains): its flat gradient and, with `syncBn`, each
 * of its batch norm layers.
 */
export function planForTrainer(
  trainer: Trainer,
  world: number,
  syncBn: boolean,
  bucketElems?: number,
  chunkElems?: number,
  collective?: CollectiveSettings,
): BucketPlan {
  const batchNorm = syncBn ? trainer.batchNormChannels() : [];
  return new BucketPlan(trainer.flat.size, world, bucketElems, chunkElems, batchNorm, collective);
}
