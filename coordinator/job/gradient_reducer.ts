/**
 * The data-parallel side of a training step: sums the flat gradient buffer across ranks
 * (cut into buckets last layer first; each bucket read back, all-reduced and written
 * back as soon as backward has finished it) and sums small host vectors such as metric
 * totals. Gradients need no
 * scaling afterwards: `fit` divides each rank's loss by the global batch, so the sum is
 * the single-process gradient.
 *
 * @module
 */

import type { Backend, Storage } from "../../core/backend.ts";
import { GradmeshError } from "../../core/errors.ts";
import { abortable } from "../transport/abortable.ts";
import type { GradientReducer as ReduceGradients, GradientSync } from "../../core/train/trainer.ts";
import { type Bucket, type BucketPlan, SUM_CAPACITY } from "./bucket_plan.ts";
import type { Link } from "../transport/link.ts";
import type { PowerSgd, PowerSgdVector } from "./powersgd.ts";

const POWERSGD_VECTORS: readonly PowerSgdVector[] = ["uncompressed", "p", "q"];

/** Options of {@link GradientReducer}. */
export interface GradientReducerOptions {
  /** This rank. */
  readonly rank: number;
  /** The job's collectives; `plan.world` ranks. */
  readonly plan: BucketPlan;
  /** The backend holding the gradients. */
  readonly backend: Backend;
  /** How long one all-reduce waits for a peer. Default: `AllReducePlan.run`'s. */
  readonly timeoutMs?: number;
  /** Aborting it makes every pending and later reduction reject with its reason. */
  readonly signal?: AbortSignal;
  /**
   * `--powersgd`: compresses gradients after its start steps, over the vectors the plan
   * holds for it (`CollectiveSettings.powerSgdLengths` from its `vectorLengths`).
   */
  readonly powerSgd?: PowerSgd;
}

/**
 * The network side of a rank that runs whole all-reduces itself, on a thread of its own
 * (`ReduceThread`): given to {@link GradientReducer} instead of a {@link Link}.
 */
export interface AllReduceRunner {
  /** Sums `data` in place across ranks as bucket `bucket` of step `step`. */
  allReduce(bucket: number, data: Float32Array, step: number, timeoutMs?: number): Promise<void>;
  /** Where rank `rank` lives, for error messages. */
  peerAddress(rank: number): string;
}

const overlaps = (b: Bucket, s: { offset: number; size: number }): boolean =>
  s.offset < b.end && b.start < s.offset + s.size;

// Ring all-reduce works on a view of an ArrayBuffer; a backend may hand back another kind.
const ownBuffer = (data: Float32Array): Float32Array<ArrayBuffer> =>
  data.buffer instanceof ArrayBuffer ? data as Float32Array<ArrayBuffer> : new Float32Array(data);

/**
 * Sums gradients and small vectors over `link`, or through a runner that owns the network
 * on another thread (the same plans over the same transport, so the same bits).
 *
 * @example Two in-process ranks
 * ```ts
 * import { createCpuBackend } from "../../core/cpu/backend.ts";
 * import { BucketPlan } from "./bucket_plan.ts";
 * import { GradientReducer } from "./gradient_reducer.ts";
 * import { memoryMesh } from "../transport/memory_link.ts";
 * const plan = new BucketPlan(3, 2);
 * const reducers = memoryMesh(2).map((link, rank) =>
 *   new GradientReducer(link, { rank, plan, backend: createCpuBackend() })
 * );
 * const sums = await Promise.all(
 *   reducers.map((r) => r.sumAcross(new Float32Array([1, 2]), 1)),
 * ); // both [2, 4]
 * ```
 */
export class GradientReducer {
  /** Step that the next gradient reduction is keyed by; advance it after every step. */
  step = 1;
  /**
   * Wall time of the last gradient reduction, from its first bucket's start to its last
   * bucket's sum, in milliseconds (backward runs meanwhile); null before the first.
   */
  lastReduceMs: number | null = null;
  readonly #link: Link | AllReduceRunner;
  readonly #options: GradientReducerOptions;
  /** Each gradient bucket's all-reduce scratch memory, kept across steps. */
  readonly #scratch = new Map<number, Float32Array<ArrayBuffer>>();

  constructor(link: Link | AllReduceRunner, options: GradientReducerOptions) {
    this.#link = link;
    this.#options = options;
    const { backend, plan } = options;
    const misaligned = plan.buckets.find((b) => b.start % backend.viewAlignment !== 0);
    if (misaligned) {
      throw new RangeError(
        `gradient bucket ${misaligned.id} starts at float ${misaligned.start}, which is not ` +
          `a multiple of the ${backend.name} backend's view alignment ${backend.viewAlignment}`,
      );
    }
  }

  /**
   * `fit`'s `reduceGradients`: sums one step's flat gradient across ranks in place, each
   * bucket read back and ring-all-reduced as soon as backward has finished every
   * parameter in it, so the last layers' buckets travel while earlier layers still run
   * backward; `finish` starts any bucket left and waits for all.
   */
  reduceGradients: ReduceGradients = (grads, slots): GradientSync => {
    const { plan, rank } = this.#options;
    if (plan.world === 1) return { ready: () => {}, finish: () => Promise.resolve() };
    if (grads.size !== plan.length) {
      throw new GradmeshError(
        `rank ${rank}, step ${this.step}: the flat gradient has ${grads.size} floats, ` +
          `the bucket plan ${plan.length}`,
      );
    }
    const step = this.step;
    const { powerSgd } = this.#options;
    if (powerSgd?.compressing) return this.#compressed(powerSgd, grads, step);
    const waiting = plan.buckets.map((b) => slots.filter((s) => overlaps(b, s)).length);
    const reductions: Promise<void>[] = [];
    let began: number | undefined;
    const start = (i: number) => {
      began ??= performance.now();
      reductions[i] = this.#reduceBucket(grads, plan.buckets[i], step);
      reductions[i].catch(() => {}); // awaited by finish
    };
    return {
      ready: (offset, size) => {
        plan.buckets.forEach((b, i) => {
          if (overlaps(b, { offset, size }) && --waiting[i] === 0) start(i);
        });
      },
      finish: () => {
        plan.buckets.forEach((_, i) => reductions[i] ?? start(i));
        return Promise.all(reductions).then(() => {
          this.lastReduceMs = performance.now() - began!;
          if (powerSgd) powerSgd.steps++;
        });
      },
    };
  };

  /**
   * A PowerSGD step: the whole gradient is read back once backward has finished, compressed
   * and summed over the plan's PowerSGD vectors, and written back.
   */
  #compressed(powerSgd: PowerSgd, grads: Storage, step: number): GradientSync {
    const { backend, plan } = this.#options;
    return {
      ready: () => {},
      finish: async () => {
        const began = performance.now();
        const host = await backend.read(grads);
        await powerSgd.reduce(host, (vector, data) => {
          const bucket = plan.powerSgdBuckets[POWERSGD_VECTORS.indexOf(vector)];
          return data.length === 0 ? Promise.resolve() : this.allReduce(bucket, data, step);
        });
        backend.write(grads, host);
        powerSgd.steps++;
        this.lastReduceMs = performance.now() - began;
      },
    };
  }

  /** Reads bucket `bucket` of `grads` back, sums it across ranks, and writes it back. */
  async #reduceBucket(grads: Storage, bucket: Bucket, step: number): Promise<void> {
    const { backend, rank, plan } = this.#options;
    const view = backend.view(grads, bucket.start, bucket.end - bucket.start);
    const host = ownBuffer(await backend.read(view));
    let scratch = this.#scratch.get(bucket.id);
    if (!scratch) {
      scratch = new Float32Array(plan.collective(bucket.id).scratchLength(rank));
      this.#scratch.set(bucket.id, scratch);
    }
    await this.allReduce(bucket.id, host, step, scratch);
    backend.write(view, host);
  }

  /** `fit`'s `sumAcross`: the element-wise sum over ranks of at most {@link SUM_CAPACITY} floats. */
  sumAcross = async (values: Float32Array, step: number): Promise<Float32Array> => {
    if (values.length > SUM_CAPACITY) {
      throw new RangeError(`sumAcross takes at most ${SUM_CAPACITY} floats, got ${values.length}`);
    }
    const padded = new Float32Array(SUM_CAPACITY);
    padded.set(values);
    await this.allReduce(this.#options.plan.sumBucket, padded, step);
    return padded.slice(0, values.length);
  };

  /** Sums `data` in place across ranks as bucket `bucket` of step `step`. */
  allReduce(
    bucket: number,
    data: Float32Array<ArrayBuffer>,
    step: number,
    scratch?: Float32Array<ArrayBuffer>,
  ): Promise<void> {
    const { rank, plan, timeoutMs, signal } = this.#options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const link = this.#link;
    if ("allReduce" in link) {
      return abortable(link.allReduce(bucket, data, step, timeoutMs), signal);
    }
    const work = plan.collective(bucket).run(link, rank, data, {
      step,
      bucket,
      timeoutMs,
      scratch,
    });
    return abortable(work, signal);
  }
}
