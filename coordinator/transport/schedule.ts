/**
 * An all-reduce written out for one rank as the ordered list of its transfers
 * ({@link ScheduleOp}): sends of a range of the buffer to a peer, and receives from a peer
 * that are added into a range or copied over it. `runSchedule` plays such a list over a
 * `Link`; the receiving endpoint reads from the same list how long each incoming chunk is
 * ({@link expectedChunks}). The order of the adds into each range is the order of the list,
 * so it is fixed by the schedule alone, whatever the timing.
 *
 * The builders here lay out the binomial tree (`treeOps`), recursive halving-doubling and the
 * ring (`ringOps`, from a `RingPlan`) over any subset of ranks, so that `hier` composes them.
 *
 * @module
 */

import { RingPlan } from "./ring_plan.ts";

/** One transfer of one rank: floats `[start, end)` of the buffer, as chunk `chunk`. */
export interface ScheduleOp {
  /** Send the range to `peer`; add what `peer` sends into the range; or copy it over. */
  readonly kind: "send" | "add" | "copy";
  /** The other rank. */
  readonly peer: number;
  /** Chunk number on the wire; unique per sender, receiver and bucket. */
  readonly chunk: number;
  readonly start: number;
  readonly end: number;
}

/** The ranks taking part in one stage and this rank's place among them. */
export interface Group {
  /** Ranks in the stage, in order; the tree's root is the first. */
  readonly members: readonly number[];
  /** This rank's index in `members`. */
  readonly index: number;
}

/** Chunks of at most `chunkElems` floats that a buffer of `length` floats is cut into. */
export function chunkCount(length: number, chunkElems: number): number {
  return Math.ceil(length / chunkElems);
}

const chunkRange = (c: number, length: number, chunkElems: number): [number, number] => [
  c * chunkElems,
  Math.min((c + 1) * chunkElems, length),
];

/**
 * One phase of the binomial tree among `group.members`, chunk numbers from `base`, chunk by
 * chunk (so a chunk travels on while the next is still summed). `reduce`: the member at
 * index `i` adds the partial sums of its children `i + 1, i + 2, i + 4, …` (while below its
 * lowest set bit and inside the group), in that order, into its own, and sends the result
 * to its parent `i − lowbit(i)`; member 0 ends with the sum. `broadcast`: each member copies
 * the chunk from its parent, then forwards it to its children, farthest first.
 */
export function treeOps(
  group: Group,
  length: number,
  chunkElems: number,
  base: number,
  phase: "reduce" | "broadcast",
): ScheduleOp[] {
  const { members, index } = group;
  const reduce = phase === "reduce";
  const children = treeChildren(index, members.length).map((child) => members[child]);
  if (!reduce) children.reverse();
  const parent = index > 0 ? members[index - (index & -index)] : undefined;
  const ops: ScheduleOp[] = [];
  for (let c = 0; c < chunkCount(length, chunkElems); c++) {
    const [start, end] = chunkRange(c, length, chunkElems);
    const op = (kind: ScheduleOp["kind"], peer: number) =>
      ops.push({ kind, peer, chunk: base + c, start, end });
    if (!reduce && parent !== undefined) op("copy", parent);
    for (const child of children) op(reduce ? "add" : "send", child);
    if (reduce && parent !== undefined) op("send", parent);
  }
  return ops;
}

/** Indices of the children of tree node `index` among `size`: `index + 1, + 2, + 4, …`. */
function treeChildren(index: number, size: number): number[] {
  const children: number[] = [];
  const limit = index === 0 ? Infinity : index & -index;
  for (let mask = 1; mask < limit && index + mask < size; mask *= 2) children.push(index + mask);
  return children;
}

/**
 * The ring all-reduce of `RingPlan` among `group.members` (ring position = index), chunk
 * numbers from `base`: the same transfers and order of adds as `ringAllReduce`.
 */
export function ringOps(group: Group, plan: RingPlan, base: number): ScheduleOp[] {
  const { members, index } = group;
  const size = members.length;
  const right = members[(index + 1) % size];
  const left = members[(index + size - 1) % size];
  const ops: ScheduleOp[] = [];
  const sends = (s: number, c: number) => {
    const [start, end] = plan.chunkRange(plan.sentSegment(index, s), c);
    ops.push({ kind: "send", peer: right, chunk: base + plan.chunkIndex(s, c), start, end });
  };
  for (let c = 0; c < plan.chunkCount(plan.sentSegment(index, 0)) && size > 1; c++) sends(0, c);
  for (let s = 0; s < plan.ringSteps; s++) {
    const segment = plan.receivedSegment(index, s);
    for (let c = 0; c < plan.chunkCount(segment); c++) {
      const [start, end] = plan.chunkRange(segment, c);
      const kind = plan.reduces(s) ? "add" : "copy";
      ops.push({ kind, peer: left, chunk: base + plan.chunkIndex(s, c), start, end });
      if (s + 1 < plan.ringSteps) sends(s + 1, c);
    }
  }
  return ops;
}

/** Chunk numbers that {@link ringOps} uses for `plan`. */
export function ringSpan(plan: RingPlan): number {
  return plan.ringSteps * plan.chunkStride;
}

/**
 * Recursive halving, then doubling (Rabenseifner) among `group.members`, chunk numbers from
 * `base`. With `q` the largest power of two ≤ the group's size and `e` the size − q extra
 * members, each of the first `2e` members at an even index first sends its whole buffer to
 * the next one, which adds it (the fold); the `q` members left (odd indices below `2e`,
 * every index from `2e` on) are numbered `v = 0 … q − 1`. Reduce-scatter: for `d = q/2, q/4,
 * …, 1`, `v` and `v XOR d` split their current range in two; the one without bit `d` keeps
 * the lower half: it sends the upper half and adds the partner's lower half into its own.
 * `v` ends owning block `v` of `q` near-equal blocks. All-gather: for `d = 1, 2, …, q/2`
 * the partners swap what they own (copies). Last, each folded member copies the whole
 * result back from its partner. `2⌈log₂ q⌉` messages, `2(q − 1)/q` of the buffer each way,
 * plus two whole-buffer messages for the folded pairs.
 */
export function halvingDoublingOps(
  group: Group,
  length: number,
  chunkElems: number,
  base: number,
): ScheduleOp[] {
  const { members, index } = group;
  const size = members.length;
  const q = 2 ** Math.floor(Math.log2(Math.max(size, 1)));
  const extra = size - q;
  const stride = chunkCount(length, chunkElems);
  const ops: ScheduleOp[] = [];
  // `kind` over floats [start, end) with `peer`, chunked, as phase `phase` of the numbering.
  const transfer = (
    kind: ScheduleOp["kind"],
    peer: number,
    start: number,
    end: number,
    phase: number,
  ) => {
    for (let at = start, c = 0; at < end; at += chunkElems, c++) {
      const chunk = base + phase * stride + c;
      ops.push({
        kind,
        peer: members[peer],
        chunk,
        start: at,
        end: Math.min(at + chunkElems, end),
      });
    }
  };
  const steps = Math.log2(q);
  const lastPhase = 2 * steps + 1;
  if (index < 2 * extra && index % 2 === 0) {
    transfer("send", index + 1, 0, length, 0);
    transfer("copy", index + 1, 0, length, lastPhase);
    return ops;
  }
  if (index < 2 * extra) transfer("add", index - 1, 0, length, 0);
  const v = index < 2 * extra ? (index - 1) / 2 : index - extra;
  const memberOf = (w: number) => (w < extra ? 2 * w + 1 : w + extra);
  const block = (b: number) => b * Math.floor(length / q) + Math.min(b, length % q);
  let lo = 0, hi = q; // blocks [lo, hi) this member still reduces
  for (let k = 0, d = q / 2; d >= 1; k++, d /= 2) {
    const mid = lo + d;
    const peer = memberOf(v ^ d);
    const keepLower = (v & d) === 0;
    const [sendLo, sendHi] = keepLower ? [mid, hi] : [lo, mid];
    [lo, hi] = keepLower ? [lo, mid] : [mid, hi];
    transfer("send", peer, block(sendLo), block(sendHi), 1 + k);
    transfer("add", peer, block(lo), block(hi), 1 + k);
  }
  for (let k = 0, d = 1; d < q; k++, d *= 2) {
    const peer = memberOf(v ^ d);
    // The partner owns the blocks beside ours: the other half of the next larger range.
    const partnerLo = (v & d) === 0 ? hi : lo - (hi - lo);
    const partnerHi = partnerLo + (hi - lo);
    transfer("send", peer, block(lo), block(hi), 1 + steps + k);
    transfer("copy", peer, block(partnerLo), block(partnerHi), 1 + steps + k);
    [lo, hi] = [Math.min(lo, partnerLo), Math.max(hi, partnerHi)];
  }
  if (index < 2 * extra) transfer("send", index - 1, 0, length, lastPhase);
  return ops;
}

/**
 * The ranges whose final sum a rank running `ops` forms itself: what it adds into and never
 * copies over (no schedule adds into a range after copying over it). Sorted, disjoint.
 */
export function summedHere(ops: readonly ScheduleOp[]): [number, number][] {
  const merged = (kind: ScheduleOp["kind"]) => {
    const ranges = ops.filter((op) => op.kind === kind && op.end > op.start)
      .map((op): [number, number] => [op.start, op.end])
      .sort((a, b) => a[0] - b[0]);
    const out: [number, number][] = [];
    for (const [start, end] of ranges) {
      const last = out.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else out.push([start, end]);
    }
    return out;
  };
  const copied = merged("copy");
  const result: [number, number][] = [];
  for (let [start, end] of merged("add")) {
    for (const [cs, ce] of copied) {
      if (ce <= start || cs >= end) continue;
      if (cs > start) result.push([start, cs]);
      start = Math.max(start, ce);
      if (start >= end) break;
    }
    if (start < end) result.push([start, end]);
  }
  return result;
}

/**
 * What a rank running `ops` receives: the length in floats of each chunk, keyed by
 * `${from}:${chunk}`. The transport multiplies by its word size (see `wireWords`).
 */
export function expectedChunks(ops: readonly ScheduleOp[]): Map<string, number> {
  const expected = new Map<string, number>();
  for (const op of ops) {
    if (op.kind !== "send") expected.set(`${op.peer}:${op.chunk}`, op.end - op.start);
  }
  return expected;
}
