/**
 * The data-parallel side of a training step: sums the flat gradient buffer across ranks
 * (read back, cut into buckets last layer first, every bucket ring-all-reduced at once,
 * written back) and sums small host vectors such as metric totals. Gradients need no
 * scaling afterwards: `fit` divides each rank's loss by the global batch, so the sum is
 * the single-process gradient.
 *
 * @module
 */

import type { Backend, Storage } from "../core/backend.ts";
import { GradmeshError } from "../core/errors.ts";
import { abortable } from "./abortable.ts";
import { type BucketPlan, SUM_CAPACITY } from "./bucket_plan.ts";
import type { Link } from "./link.ts";
import { ringAllReduce } from "./ring.ts";

/** Options of {@link GradientReducer}. */
export interface GradientReducerOptions {
  /** This rank. */
  readonly rank: number;
  /** The job's collectives; `plan.world` ranks. */
  readonly plan: BucketPlan;
  /** The backend holding the gradients. */
  readonly backend: Backend;
  /** How long one ring all-reduce waits for a peer. Default: `ringAllReduce`'s. */
  readonly timeoutMs?: number;
  /** Aborting it makes every pending and later reduction reject with its reason. */
  readonly signal?: AbortSignal;
}

// Ring all-reduce works on a view of an ArrayBuffer; a backend may hand back another kind.
const ownBuffer = (data: Float32Array): Float32Array<ArrayBuffer> =>
  data.buffer instanceof ArrayBuffer ? data as Float32Array<ArrayBuffer> : new Float32Array(data);

/**
 * Sums gradients and small vectors over `link`.
 *
 * @example Two in-process ranks
 * ```ts
 * import { createCpuBackend } from "../core/cpu/backend.ts";
 * import { BucketPlan } from "./bucket_plan.ts";
 * import { GradientReducer } from "./gradient_reducer.ts";
 * import { memoryMesh } from "./memory_link.ts";
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
  readonly #link: Link;
  readonly #options: GradientReducerOptions;

  constructor(link: Link, options: GradientReducerOptions) {
    this.#link = link;
    this.#options = options;
  }

  /** `fit`'s `reduceGradients`: sums `grads` across ranks in place. */
  reduceGradients = async (grads: Storage): Promise<void> => {
    const { plan, backend, rank } = this.#options;
    if (plan.world === 1) return;
    if (grads.size !== plan.length) {
      throw new GradmeshError(
        `rank ${rank}, step ${this.step}: the flat gradient has ${grads.size} floats, ` +
          `the bucket plan ${plan.length}`,
      );
    }
    const host = ownBuffer(await backend.read(grads));
    await Promise.all(
      plan.buckets.map((b) => this.allReduce(b.id, host.subarray(b.start, b.end), this.step)),
    );
    backend.write(grads, host);
  };

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
  allReduce(bucket: number, data: Float32Array<ArrayBuffer>, step: number): Promise<void> {
    const { rank, plan, timeoutMs, signal } = this.#options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const work = ringAllReduce(this.#link, rank, plan.world, data, {
      step,
      bucket,
      chunkElems: plan.chunkElems,
      timeoutMs,
    });
    return abortable(work, signal);
  }
}
