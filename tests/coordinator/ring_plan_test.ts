import assert from "node:assert/strict";
import { RingPlan } from "../../coordinator/transport/ring_plan.ts";

Deno.test("RingPlan segments tile the buffer in near-equal parts", () => {
  for (const [length, world] of [[0, 3], [2, 3], [10, 3], [1001, 4], [7, 1]]) {
    const plan = new RingPlan(length, world, 3);
    assert.equal(plan.segmentStart(0), 0);
    assert.equal(plan.segmentStart(world), length);
    for (let s = 0; s < world; s++) {
      const size = plan.segmentStart(s + 1) - plan.segmentStart(s);
      assert.ok(size === Math.floor(length / world) || size === Math.ceil(length / world));
    }
  }
});

Deno.test("RingPlan forwards at step s + 1 what arrived at step s", () => {
  const plan = new RingPlan(100, 5, 8);
  for (let rank = 0; rank < 5; rank++) {
    for (let s = 0; s + 1 < plan.ringSteps; s++) {
      assert.equal(plan.sentSegment(rank, s + 1), plan.receivedSegment(rank, s));
    }
  }
  assert.equal(plan.ringSteps, 8);
  assert.ok(plan.reduces(3) && !plan.reduces(4));
});

Deno.test("RingPlan.chunkLength agrees with what the left neighbour sends", () => {
  const world = 4;
  const plan = new RingPlan(1003, world, 16);
  for (let rank = 0; rank < world; rank++) {
    const left = (rank + world - 1) % world;
    let expected = 0;
    for (let s = 0; s < plan.ringSteps; s++) {
      const segment = plan.sentSegment(left, s);
      for (let c = 0; c < plan.chunkCount(segment); c++) {
        const [start, end] = plan.chunkRange(segment, c);
        assert.equal(plan.chunkLength(rank, left, plan.chunkIndex(s, c)), end - start);
        expected++;
      }
    }
    assert.equal(expected, plan.ringSteps * Math.ceil(1003 / world / 16));
    assert.equal(plan.chunkLength(rank, (rank + 1) % world, 0), undefined, "wrong sender");
    assert.equal(plan.chunkLength(rank, left, plan.ringSteps * plan.chunkStride), undefined);
    assert.equal(plan.chunkLength(rank, left, -1), undefined);
  }
});

Deno.test("RingPlan rejects impossible shapes", () => {
  assert.throws(() => new RingPlan(-1, 2), RangeError);
  assert.throws(() => new RingPlan(4, 0), RangeError);
  assert.throws(() => new RingPlan(4, 2, 0), RangeError);
  assert.throws(() => new RingPlan(4.5, 2), RangeError);
});
