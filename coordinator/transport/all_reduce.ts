/**
 * One all-reduce of a buffer of known length, by the algorithm asked for (`ring`, `tree`,
 * `halving`, `hier`, or `auto`: see `algorithm_choice.ts`) with gradients on the wire in the
 * {@link WireDtype} asked for. Every rank builds the same plan from the same numbers; the
 * plan runs the reduction ({@link AllReducePlan.run}) and tells the rank's endpoint how
 * long each incoming chunk is ({@link AllReducePlan.chunkLength}).
 *
 * The order of adds, which fixes the bits of the result, for element `i`:
 * - ring: the segment holding `i` is owned by rank `o`; the partial sum starts at rank
 *   `o + 1` and gains each next rank's value in ring order, `o` last; then it is copied.
 * - tree: rank `r` adds to its own value the partial sums of its children `r + 1, r + 2,
 *   r + 4, …` (below its lowest set bit), in that order; rank 0's sum is broadcast.
 * - halving: with `q` the largest power of two ≤ world and `e = world − q`, rank `2i + 1`
 *   first adds rank `2i`'s value to its own (`i < e`); then among the `q` ranks left
 *   (numbered `v`) the owner of block `v` sums recursively: at distance `d = q/2, …, 1` it
 *   adds its partner's (`v XOR d`) partial sum to its own, `own + partner`.
 * - hier: the tree among the ranks of each host (by rank order, the lowest rank leads), then
 *   the ring or tree (whichever the cost model picks for the bytes and the number of
 *   hosts) among the leaders in rank order, then a tree broadcast within each host.
 *
 * Each element is summed by one rank and copied to the others, so every rank ends with the
 * same bits, and the same inputs give the same bits on every run.
 *
 * @module
 */

import {
  type AllReduceAlgorithm,
  chooseAlgorithm,
  type ConcreteAlgorithm,
  hierSeconds,
} from "./algorithm_choice.ts";
import type { Link } from "./link.ts";
import { ringAllReduce, ringScratchLength } from "./ring.ts";
import { DEFAULT_CHUNK_ELEMS, RingPlan } from "./ring_plan.ts";
import { runSchedule, scheduleScratchWords } from "./run_schedule.ts";
import {
  chunkCount,
  expectedChunks,
  type Group,
  halvingDoublingOps,
  ringOps,
  type ScheduleOp,
  treeOps,
} from "./schedule.ts";
import { type WireDtype, wireWords } from "./wire_dtype.ts";

/** Options of {@link AllReducePlan}. */
export interface AllReduceOptions {
  /** Default `ring`. */
  readonly algorithm?: AllReduceAlgorithm;
  /** Number format on the wire. Default `fp32`. */
  readonly dtype?: WireDtype;
  /** Host of each rank, by rank (from the rendezvous). Default: all on one host. */
  readonly hosts?: readonly string[];
  /** Floats per chunk at most; every rank must pass the same. Default `DEFAULT_CHUNK_ELEMS`. */
  readonly chunkElems?: number;
  /**
   * Connections to each peer (`--streams`): chunks are made small enough that the largest
   * transfer of the algorithm spreads over this many, down to {@link MIN_SPREAD_CHUNK_ELEMS}
   * floats. Every rank must pass the same. Default: chunks of `chunkElems`.
   */
  readonly streams?: number;
}

/**
 * Floats below which a transfer is not cut further to spread it over connections: 256 KiB,
 * about half a millisecond at the loopback β, the order of one request's round trip.
 */
export const MIN_SPREAD_CHUNK_ELEMS = 65536;

/**
 * Chunk size for `length` floats by `algorithm` over `world` ranks: at most `chunkElems`,
 * and small enough that the algorithm's largest single transfer (a ring segment, half the
 * buffer for halving, all of it for the tree) takes `streams` chunks, unless that would go
 * below {@link MIN_SPREAD_CHUNK_ELEMS}.
 */
export function spreadChunkElems(
  length: number,
  world: number,
  algorithm: ConcreteAlgorithm,
  chunkElems: number,
  streams: number,
): number {
  const transfer = algorithm === "ring"
    ? Math.ceil(length / world)
    : algorithm === "halving"
    ? Math.ceil(length / 2)
    : length;
  const spread = Math.max(MIN_SPREAD_CHUNK_ELEMS, Math.ceil(transfer / streams));
  return Math.min(chunkElems, spread);
}

/** Options of one {@link AllReducePlan.run}. */
export interface AllReduceRun {
  /** Training step: part of every chunk's key. */
  readonly step: number;
  /** Bucket within the step. */
  readonly bucket: number;
  /** How long to wait for a peer. Default 30 s. */
  readonly timeoutMs?: number;
  /** Memory for chunks in transit, {@link AllReducePlan.scratchLength} floats. */
  readonly scratch?: Float32Array<ArrayBuffer>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The all-reduce of `length` floats over `world` ranks.
 *
 * @example Four ranks, small buffer: `auto` picks the tree
 * ```ts
 * import { AllReducePlan } from "./all_reduce.ts";
 * import { memoryMesh } from "./memory_link.ts";
 * const plan = new AllReducePlan(3, 4, { algorithm: "auto" });
 * plan.algorithm; // "tree"
 * const grads = [0, 1, 2, 3].map((r) => new Float32Array([r, 1, 2]));
 * await Promise.all(
 *   memoryMesh(4).map((link, rank) => plan.run(link, rank, grads[rank], { step: 0, bucket: 0 })),
 * ); // every rank holds [6, 4, 8]
 * ```
 */
export class AllReducePlan {
  /** The algorithm that runs (what `auto` resolved to). */
  readonly algorithm: ConcreteAlgorithm;
  /** Number format on the wire. */
  readonly dtype: WireDtype;
  readonly #ring: RingPlan;
  readonly #hosts: readonly string[];
  readonly #ops = new Map<number, { ops: ScheduleOp[]; expected: Map<string, number> }>();

  constructor(readonly length: number, readonly world: number, options: AllReduceOptions = {}) {
    this.dtype = options.dtype ?? "fp32";
    this.#hosts = options.hosts ?? Array(world).fill("");
    if (this.#hosts.length !== world) {
      throw new RangeError(`hosts names ${this.#hosts.length} ranks, the world has ${world}`);
    }
    const bytes = 4 * wireWords(this.dtype, length);
    this.algorithm = chooseAlgorithm(options.algorithm ?? "ring", bytes, this.#hosts);
    const chunkElems = options.chunkElems ?? DEFAULT_CHUNK_ELEMS;
    const { streams } = options;
    this.#ring = new RingPlan(
      length,
      world,
      streams === undefined
        ? chunkElems
        : spreadChunkElems(length, world, this.algorithm, chunkElems, streams),
    );
  }

  /** Floats per chunk on the wire. */
  get chunkElems(): number {
    return this.#ring.chunkElems;
  }

  /** Whether this plan runs the ring of `ringAllReduce` (fp32) rather than a schedule. */
  get #plainRing(): boolean {
    return this.algorithm === "ring" && this.dtype === "fp32";
  }

  /** Floats of scratch memory that {@link run} takes for rank `rank`. */
  scratchLength(rank: number): number {
    if (this.#plainRing) return ringScratchLength(this.#ring, rank);
    const schedule = this.#schedule(rank);
    return schedule ? scheduleScratchWords(schedule.ops, this.dtype) : 0;
  }

  /**
   * Wire words (floats, or pairs of 16-bit values) in the chunk numbered `chunk` that
   * `rank` receives from `from`, or `undefined` when no such chunk exists.
   */
  chunkLength(rank: number, from: number, chunk: number): number | undefined {
    if (this.#plainRing) return this.#ring.chunkLength(rank, from, chunk);
    const floats = this.#schedule(rank)?.expected.get(`${from}:${chunk}`);
    return floats === undefined ? undefined : wireWords(this.dtype, floats);
  }

  /** Sums `data` (of {@link length} floats) in place across the ranks; see `runSchedule`. */
  run(
    link: Link,
    rank: number,
    data: Float32Array<ArrayBuffer>,
    options: AllReduceRun,
  ): Promise<void> {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.world) {
      return Promise.reject(new RangeError(`rank must be in [0, ${this.world}), got ${rank}`));
    }
    if (data.length !== this.length) {
      return Promise.reject(
        new RangeError(`the buffer has ${data.length} floats, the plan ${this.length}`),
      );
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const { step, bucket } = options;
    if (this.#plainRing) {
      return ringAllReduce(link, rank, this.world, data, {
        step,
        bucket,
        chunkElems: this.#ring.chunkElems,
        timeoutMs,
        scratch: options.scratch,
      });
    }
    const { ops } = this.#schedule(rank)!;
    const { scratch } = options;
    return runSchedule(link, ops, data, { step, bucket, timeoutMs, dtype: this.dtype, scratch });
  }

  /** Rank `rank`'s transfers, built on first use. */
  #schedule(rank: number) {
    if (!(Number.isInteger(rank) && rank >= 0 && rank < this.world)) return undefined;
    let entry = this.#ops.get(rank);
    if (!entry) {
      const ops = this.#build(rank);
      entry = { ops, expected: expectedChunks(ops) };
      this.#ops.set(rank, entry);
    }
    return entry;
  }

  #build(rank: number): ScheduleOp[] {
    const { length, world } = this;
    const chunkElems = this.#ring.chunkElems;
    const all: Group = { members: Array.from({ length: world }, (_, r) => r), index: rank };
    // Each stage numbers its chunks from its own base, so no two stages share a number.
    const span = chunkCount(length, chunkElems);
    if (this.algorithm === "ring") return ringOps(all, this.#ring, 0);
    if (this.algorithm === "halving") return halvingDoublingOps(all, length, chunkElems, 0);
    if (this.algorithm === "tree") {
      return [
        ...treeOps(all, length, chunkElems, 0, "reduce"),
        ...treeOps(all, length, chunkElems, span, "broadcast"),
      ];
    }
    const hosts = this.#hosts;
    const local = ranksOn(hosts, hosts[rank]);
    const leaders = hosts.flatMap((h, r) => (hosts.indexOf(h) === r ? [r] : []));
    const here: Group = { members: local, index: local.indexOf(rank) };
    const ops = treeOps(here, length, chunkElems, 0, "reduce");
    if (here.index === 0 && leaders.length > 1) {
      const group: Group = { members: leaders, index: leaders.indexOf(rank) };
      const bytes = 4 * wireWords(this.dtype, length);
      if (hierSeconds(bytes, hosts).leaders === "ring") {
        ops.push(...ringOps(group, new RingPlan(length, leaders.length, chunkElems), 2 * span));
      } else {
        ops.push(...treeOps(group, length, chunkElems, 2 * span, "reduce"));
        ops.push(...treeOps(group, length, chunkElems, 3 * span, "broadcast"));
      }
    }
    ops.push(...treeOps(here, length, chunkElems, span, "broadcast"));
    return ops;
  }
}

/** The ranks on host `host`, in rank order. */
function ranksOn(hosts: readonly string[], host: string): number[] {
  return hosts.flatMap((h, r) => (h === host ? [r] : []));
}
