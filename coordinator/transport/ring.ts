/**
 * Ring all-reduce over a {@link Link}: pure algorithm, no transport, no kernels.
 *
 * @module
 */

import { MeshError, MeshTimeoutError } from "./errors.ts";
import type { ChunkKey, Link } from "./link.ts";
import { RingPlan } from "./ring_plan.ts";

/** Options of {@link ringAllReduce}. */
export interface RingOptions {
  /** Training step: part of every chunk's key, so consecutive steps cannot mix. */
  readonly step: number;
  /** Bucket within the step, likewise. */
  readonly bucket: number;
  /** Floats per chunk; every rank must pass the same. Default `DEFAULT_CHUNK_ELEMS`. */
  readonly chunkElems?: number;
  /** How long to wait for a chunk, or for a peer to take ours, before failing. */
  readonly timeoutMs?: number;
  /**
   * Memory for the chunks that are added rather than copied, at least
   * {@link ringScratchLength} floats; reuse it across calls that do not overlap. Default:
   * allocated per call.
   */
  readonly scratch?: Float32Array<ArrayBuffer>;
}

/** Floats of scratch memory that {@link ringAllReduce} needs for `plan`'s rank `rank`. */
export function ringScratchLength(plan: RingPlan, rank: number): number {
  let floats = 0;
  for (let s = 0; plan.reduces(s) && s < plan.ringSteps; s++) {
    const segment = plan.receivedSegment(rank, s);
    floats += plan.segmentStart(segment + 1) - plan.segmentStart(segment);
  }
  return floats;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Sums `data` in place across all `world` ranks; every rank calls it with the same
 * length and options. Reduce-scatter then all-gather, `2(world − 1)` steps; each step's
 * segment travels in chunks and every chunk is forwarded as soon as it is in, so all
 * ranks send and receive at once.
 *
 * The result is bitwise identical on every rank: each element is summed exactly once, by
 * the chain of adds that starts at the rank owning its segment, and then copied.
 *
 * Rejects with a `MeshTimeoutError` naming the peer when nothing arrives from the left
 * neighbour (or the right one takes nothing) for `timeoutMs`, or with the `MeshError`
 * of a failed send; `data` is then partly reduced.
 *
 * @example
 * ```ts
 * import { memoryMesh } from "./memory_link.ts";
 * import { ringAllReduce } from "./ring.ts";
 * const links = memoryMesh(2);
 * const grads = [new Float32Array([1, 2, 3]), new Float32Array([10, 20, 30])];
 * await Promise.all(
 *   links.map((link, rank) => ringAllReduce(link, rank, 2, grads[rank], { step: 0, bucket: 0 })),
 * );
 * // grads[0] and grads[1] are both [11, 22, 33]
 * ```
 */
export async function ringAllReduce(
  link: Link,
  rank: number,
  world: number,
  data: Float32Array<ArrayBuffer>,
  options: RingOptions,
): Promise<void> {
  const plan = new RingPlan(data.length, world, options.chunkElems);
  if (!Number.isInteger(rank) || rank < 0 || rank >= world) {
    throw new RangeError(`rank must be in [0, ${world}), got ${rank}`);
  }
  const { step, bucket } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const right = (rank + 1) % world;
  const left = (rank + world - 1) % world;
  const key = (ringStep: number, chunk: number): ChunkKey => ({
    step,
    bucket,
    chunk: plan.chunkIndex(ringStep, chunk),
  });

  // One signal ends every pending send and receive at the first failure; its reason is
  // the error this call rejects with.
  const abort = new AbortController();
  const sends: Promise<void>[] = [];
  let unacknowledged = 0;
  const send = (ringStep: number, chunk: number) => {
    const [start, end] = plan.chunkRange(plan.sentSegment(rank, ringStep), chunk);
    unacknowledged++;
    sends.push(
      link.send(right, key(ringStep, chunk), data.subarray(start, end), abort.signal).then(
        () => void unacknowledged--,
        (error) => abort.abort(error),
      ),
    );
  };
  // A live peer takes our chunks whatever its own progress, so chunks it left
  // unacknowledged blame the right neighbour; otherwise the left one went silent.
  const watched = <T>(pending: Promise<T>): Promise<T> => {
    const timer = setTimeout(() => {
      const peer = unacknowledged > 0 ? right : left;
      const what = unacknowledged > 0
        ? `${unacknowledged} chunks sent and not taken`
        : "no chunk received";
      abort.abort(
        new MeshTimeoutError(peer, link.peerAddress(peer), step, bucket, timeoutMs, what),
      );
    }, timeoutMs);
    return pending.finally(() => clearTimeout(timer));
  };

  // Every receive is named before anything arrives, so the transport reads each chunk
  // straight into place: into scratch where it is then added, into `data` where it is
  // only copied. A peer can send a segment's reduced chunk only after taking this rank's
  // partial sum of it, so an early copy never lands on floats still being sent.
  const needed = ringScratchLength(plan, rank);
  const scratch = options.scratch ?? new Float32Array(needed);
  if (scratch.length < needed) {
    throw new RangeError(
      `scratch holds ${scratch.length} floats, ringScratchLength gives ${needed}`,
    );
  }
  const arrivals: { promise: Promise<void>; into: Float32Array; start: number }[][] = [];
  let scratchEnd = 0;
  for (let s = 0; s < plan.ringSteps; s++) {
    const segment = plan.receivedSegment(rank, s);
    const base = scratchEnd;
    arrivals.push(Array.from({ length: plan.chunkCount(segment) }, (_, c) => {
      const [start, end] = plan.chunkRange(segment, c);
      const offset = base + start - plan.segmentStart(segment);
      const into = plan.reduces(s)
        ? scratch.subarray(offset, offset + end - start)
        : data.subarray(start, end);
      const promise = link.recvInto(left, key(s, c), into, abort.signal);
      promise.catch(() => {}); // awaited in order below, or abandoned on abort
      return { promise, into, start };
    }));
    if (plan.reduces(s)) scratchEnd += plan.segmentStart(segment + 1) - plan.segmentStart(segment);
  }

  try {
    // A world of one has no ring steps and nothing to send (not even to itself).
    const first = plan.ringSteps > 0 ? plan.chunkCount(plan.sentSegment(rank, 0)) : 0;
    for (let c = 0; c < first; c++) send(0, c);
    for (let s = 0; s < plan.ringSteps; s++) {
      for (let c = 0; c < arrivals[s].length; c++) {
        const { promise, into, start } = arrivals[s][c];
        await watched(promise).catch((error) => {
          if (!(error instanceof RangeError)) throw error;
          throw new MeshError(
            left,
            link.peerAddress(left),
            step,
            `bucket ${bucket}: ${error.message}`,
          );
        });
        if (plan.reduces(s)) addInto(data.subarray(start, start + into.length), into);
        if (s + 1 < plan.ringSteps) send(s + 1, c);
      }
    }
    await watched(Promise.all(sends));
  } catch (error) {
    abort.abort(error);
  }
  if (abort.signal.aborted) {
    await Promise.all(sends);
    throw abort.signal.reason;
  }
}

function addInto(target: Float32Array, source: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}
