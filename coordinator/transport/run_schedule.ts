/**
 * Plays one rank's {@link ScheduleOp} list over a {@link Link}: every receive is named up
 * front (so the transport reads each chunk straight into place), sends leave as soon as
 * the list reaches them, and receives are applied strictly in list order, which fixes the
 * order of every add.
 *
 * With a 16-bit {@link WireDtype} rounding happens in exactly three places, the same on
 * every rank: (1) each send casts the range as it stands — the rank's own float32 values, or a
 * float32 partial sum — to 16 bits (the compress hooks' cast); (2) each receive widens the
 * 16-bit values to float32 and adds them in float32 to the range as it stands, or copies
 * them over it; (3) at the end the ranges whose final float32 sum this rank formed itself
 * ({@link summedHere}) are rounded to 16 bits, as every other rank received them by (1), so
 * all ranks end with the same bits. A rank's own values enter its own sums unrounded.
 *
 * @module
 */

import { MeshError, MeshTimeoutError } from "./errors.ts";
import type { Link } from "./link.ts";
import { type ScheduleOp, summedHere } from "./schedule.ts";
import {
  decode16,
  encode16,
  halves,
  roundToWire,
  type WireDtype,
  wireWords,
} from "./wire_dtype.ts";

/** Options of {@link runSchedule}. */
export interface RunScheduleOptions {
  /** Training step: part of every chunk's key. */
  readonly step: number;
  /** Bucket within the step. */
  readonly bucket: number;
  /** How long to wait for a chunk, or for a peer to take ours, before failing. */
  readonly timeoutMs: number;
  /** Number format on the wire. Default `fp32`. */
  readonly dtype?: WireDtype;
  /**
   * Memory for chunks in transit, at least {@link scheduleScratchWords}; reuse it across
   * calls that do not overlap. Default: allocated per call.
   */
  readonly scratch?: Float32Array<ArrayBuffer>;
}

/**
 * Wire words of scratch memory that {@link runSchedule} needs for `ops`: every chunk that
 * is added, and with 16 bits every chunk received or sent, has its own place.
 */
export function scheduleScratchWords(ops: readonly ScheduleOp[], dtype: WireDtype): number {
  let words = 0;
  for (const op of ops) {
    if (op.kind === "add" || dtype !== "fp32") words += wireWords(dtype, op.end - op.start);
  }
  return words;
}

interface PendingSend {
  readonly op: ScheduleOp;
  done: boolean;
  readonly promise: Promise<void>;
}

/**
 * Runs `ops` on `data` (in place). Rejects with a `MeshTimeoutError` naming the peer when
 * a chunk does not arrive, or a sent chunk is not taken, within `timeoutMs`, with a
 * `MeshError` naming the peer that sent a chunk of the wrong length, or with the
 * `MeshError` of a failed send; `data` is then partly reduced.
 *
 * @example The two ranks of a tree, in one process
 * ```ts
 * import { memoryMesh } from "./memory_link.ts";
 * import { runSchedule } from "./run_schedule.ts";
 * import { treeOps } from "./schedule.ts";
 * const links = memoryMesh(2);
 * const grads = [new Float32Array([1, 2]), new Float32Array([10, 20])];
 * await Promise.all(links.map((link, index) => {
 *   const group = { members: [0, 1], index };
 *   const ops = [...treeOps(group, 2, 8, 0, "reduce"), ...treeOps(group, 2, 8, 1, "broadcast")];
 *   return runSchedule(link, ops, grads[index], { step: 0, bucket: 0, timeoutMs: 1000 });
 * }));
 * // grads[0] and grads[1] are both [11, 22]
 * ```
 */
export async function runSchedule(
  link: Link,
  ops: readonly ScheduleOp[],
  data: Float32Array<ArrayBuffer>,
  options: RunScheduleOptions,
): Promise<void> {
  const { step, bucket, timeoutMs } = options;
  const dtype = options.dtype ?? "fp32";
  const rounded = dtype === "fp32" ? [] : summedHere(ops);
  const key = (chunk: number) => ({ step, bucket, chunk });
  const needed = scheduleScratchWords(ops, dtype);
  const scratch = options.scratch ?? new Float32Array(needed);
  if (scratch.length < needed) {
    throw new RangeError(`scratch holds ${scratch.length} words, the schedule needs ${needed}`);
  }
  let scratchEnd = 0;
  const place = (floats: number) => {
    const words = wireWords(dtype, floats);
    scratchEnd += words;
    return scratch.subarray(scratchEnd - words, scratchEnd);
  };

  const abort = new AbortController();
  const sends: Promise<void>[] = [];
  // Sends not yet known to be taken, oldest first.
  let untaken: PendingSend[] = [];
  const send = (op: ScheduleOp) => {
    const range = data.subarray(op.start, op.end);
    let payload = range;
    if (dtype !== "fp32") {
      payload = place(range.length);
      encode16(dtype, range, halves(payload));
    }
    const pending: PendingSend = {
      op,
      done: false,
      promise: link.send(op.peer, key(op.chunk), payload, abort.signal).then(
        () => void (pending.done = true),
        (error) => abort.abort(error),
      ),
    };
    sends.push(pending.promise);
    untaken.push(pending);
  };
  // A live peer takes our chunks whatever its own progress, so the oldest chunk not taken
  // blames its receiver; otherwise the peer we wait for went silent.
  const watched = <T>(pending: Promise<T>, waitingFor: number): Promise<T> => {
    const timer = setTimeout(() => {
      untaken = untaken.filter((s) => !s.done);
      const peer = untaken.length > 0 ? untaken[0].op.peer : waitingFor;
      const what = untaken.length > 0
        ? `${untaken.length} chunks sent and not taken`
        : "no chunk received";
      abort.abort(
        new MeshTimeoutError(peer, link.peerAddress(peer), step, bucket, timeoutMs, what),
      );
    }, timeoutMs);
    return pending.finally(() => clearTimeout(timer));
  };

  // Receives land in scratch where they are added or widened, straight in `data` where an
  // fp32 chunk is only copied: such a chunk holds a final sum, which its sender can have
  // only after taking every chunk of this rank's that feeds it, so it never lands on
  // floats still being sent.
  const arrivals = ops.map((op) => {
    if (op.kind === "send") return undefined;
    const into = op.kind === "add" || dtype !== "fp32"
      ? place(op.end - op.start)
      : data.subarray(op.start, op.end);
    const promise = link.recvInto(op.peer, key(op.chunk), into, abort.signal);
    promise.catch(() => {}); // awaited in order below, or abandoned on abort
    return { promise, into };
  });

  try {
    for (const [i, op] of ops.entries()) {
      const arrival = arrivals[i];
      if (!arrival) {
        send(op);
        continue;
      }
      await watched(arrival.promise, op.peer).catch((error) => {
        if (!(error instanceof RangeError)) throw error;
        throw new MeshError(
          op.peer,
          link.peerAddress(op.peer),
          step,
          `bucket ${bucket}: ${error.message}`,
        );
      });
      // Never change floats that a send still reads.
      untaken = untaken.filter((s) => !s.done);
      const reading = untaken.filter((s) => s.op.start < op.end && op.start < s.op.end);
      if (reading.length > 0) await watched(Promise.all(reading.map((s) => s.promise)), op.peer);
      const target = data.subarray(op.start, op.end);
      if (dtype !== "fp32") decode16(dtype, halves(arrival.into), target, op.kind === "add");
      else if (op.kind === "add") addInto(target, arrival.into);
    }
    await watched(Promise.all(sends), ops.at(-1)?.peer ?? 0);
  } catch (error) {
    abort.abort(error);
  }
  if (abort.signal.aborted) {
    await Promise.all(sends);
    throw abort.signal.reason;
  }
  for (const [start, end] of rounded) roundToWire(dtype, data.subarray(start, end));
}

function addInto(target: Float32Array, source: Float32Array): void {
  for (let i = 0; i < target.length; i++) target[i] += source[i];
}
