/**
 * The schedule of a ring all-reduce, shared by the algorithm and by the receiving
 * endpoint that must know how long each incoming chunk is before it reads the body.
 *
 * The buffer is cut into `world` near-equal segments, each segment into chunks of at
 * most `chunkElems` floats. At ring step `s` (of `2(world − 1)`), rank `r` sends segment
 * `(r − s) mod world` to its right neighbour and receives segment `(r − 1 − s) mod world`
 * from its left: the first `world − 1` steps add (reduce-scatter), the rest copy
 * (all-gather). The segment a rank receives at step `s` is the one it sends at `s + 1`,
 * so each chunk can be forwarded as soon as it is in.
 *
 * @module
 */

/**
 * Floats per chunk unless told otherwise: 2 MiB on the wire, the best of 128K–1M floats in
 * `bench/allreduce.ts` on loopback (world 2, 4–64 MB; bench/RESULTS.md).
 */
export const DEFAULT_CHUNK_ELEMS = 524288;

const isCount = (x: number) => Number.isSafeInteger(x) && x >= 0;

/**
 * Segments, chunks and chunk numbering of one ring all-reduce of `length` floats.
 *
 * @example Expected length of an incoming chunk
 * ```ts
 * import { RingPlan } from "./ring_plan.ts";
 * const plan = new RingPlan(10, 2, 4);
 * plan.chunkLength(1, 0, 0); // 4: rank 1 gets the first chunk of segment 0 from rank 0
 * plan.chunkLength(1, 0, 1); // 1
 * ```
 */
export class RingPlan {
  /** Steps around the ring: reduce-scatter then all-gather, `2(world − 1)`. */
  readonly ringSteps: number;
  /** Chunk numbers reserved per ring step: the chunk count of the largest segment. */
  readonly chunkStride: number;

  constructor(
    readonly length: number,
    readonly world: number,
    readonly chunkElems: number = DEFAULT_CHUNK_ELEMS,
  ) {
    if (!isCount(length)) throw new RangeError(`length must be a count, got ${length}`);
    if (!isCount(world) || world < 1) throw new RangeError(`world must be ≥ 1, got ${world}`);
    if (!isCount(chunkElems) || chunkElems < 1) {
      throw new RangeError(`chunkElems must be ≥ 1, got ${chunkElems}`);
    }
    this.ringSteps = 2 * (world - 1);
    this.chunkStride = Math.ceil(Math.ceil(length / world) / chunkElems);
  }

  /** Start of segment `segment`; segment `world` starts at `length`. */
  segmentStart(segment: number): number {
    const base = Math.floor(this.length / this.world);
    return segment * base + Math.min(segment, this.length % this.world);
  }

  /** Segment that `rank` sends at ring step `step`. */
  sentSegment(rank: number, step: number): number {
    return (((rank - step) % this.world) + this.world) % this.world;
  }

  /** Segment that `rank` receives at ring step `step`. */
  receivedSegment(rank: number, step: number): number {
    return this.sentSegment(rank - 1, step);
  }

  /** Whether ring step `step` adds what it receives (reduce-scatter) or copies it. */
  reduces(step: number): boolean {
    return step < this.world - 1;
  }

  /** Number of chunks of segment `segment`. */
  chunkCount(segment: number): number {
    return Math.ceil(
      (this.segmentStart(segment + 1) - this.segmentStart(segment)) / this.chunkElems,
    );
  }

  /** `[start, end)` in the buffer of chunk `chunk` of segment `segment`. */
  chunkRange(segment: number, chunk: number): [number, number] {
    const start = this.segmentStart(segment) + chunk * this.chunkElems;
    return [start, Math.min(start + this.chunkElems, this.segmentStart(segment + 1))];
  }

  /** Chunk number on the wire of chunk `chunk` at ring step `step`. */
  chunkIndex(step: number, chunk: number): number {
    return step * this.chunkStride + chunk;
  }

  /**
   * Floats in the chunk numbered `chunkIndex` that `rank` receives from `from`, or
   * `undefined` when no such chunk exists (wrong sender, number out of range).
   */
  chunkLength(rank: number, from: number, chunkIndex: number): number | undefined {
    const step = Math.floor(chunkIndex / this.chunkStride);
    const chunk = chunkIndex % this.chunkStride;
    const expectedSender = (rank + this.world - 1) % this.world;
    if (!isCount(chunkIndex) || from !== expectedSender || !(step < this.ringSteps)) {
      return undefined;
    }
    const segment = this.receivedSegment(rank, step);
    if (!(chunk < this.chunkCount(segment))) return undefined;
    const [start, end] = this.chunkRange(segment, chunk);
    return end - start;
  }
}
