import assert from "node:assert/strict";
import { exactInputs } from "./reduce_inputs.ts";
import { MeshError, MeshTimeoutError } from "../../coordinator/transport/errors.ts";
import { type Fault, memoryMesh } from "../../coordinator/transport/memory_link.ts";
import { ringAllReduce, type RingOptions } from "../../coordinator/transport/ring.ts";

/** Small deterministic generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Runs every rank's all-reduce over one in-memory mesh; returns each rank's settlement. */
function reduceAll(
  inputs: Float32Array<ArrayBuffer>[],
  options: RingOptions,
  fault?: (from: number, to: number) => Fault | undefined,
): Promise<PromiseSettledResult<void>[]> {
  const links = memoryMesh(inputs.length, { fault });
  return Promise.allSettled(
    links.map((link, rank) => ringAllReduce(link, rank, inputs.length, inputs[rank], options)),
  );
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

Deno.test("ringAllReduce sums exactly for worlds 1–5 and awkward lengths", async () => {
  for (let world = 1; world <= 5; world++) {
    for (const length of [0, 1, 3, world - 1, world + 1, 97, 1000]) {
      for (const chunkElems of [1, 7, 64]) {
        // Small integers: every summation order gives the same exact result.
        const { inputs, expected } = exactInputs(world, length);
        const results = await reduceAll(inputs, { step: 1, bucket: 2, chunkElems });
        assert.deepEqual(results.map((r) => r.status), inputs.map(() => "fulfilled"));
        for (const [rank, out] of inputs.entries()) {
          assert.deepEqual(out, expected, `world ${world} length ${length} rank ${rank}`);
        }
      }
    }
  }
});

Deno.test("ringAllReduce leaves every rank bitwise identical where order matters", async () => {
  const next = lcg(7);
  for (let world = 2; world <= 5; world++) {
    const length = 10_007;
    // Magnitudes from 1e-6 to 1e6: float32 sums of these differ with the order of adds.
    const inputs = Array.from(
      { length: world },
      () => Float32Array.from({ length }, () => (next() - 0.5) * 10 ** (12 * next() - 6)),
    );
    const exact = Float64Array.from({ length }, (_, i) => inputs.reduce((s, x) => s + x[i], 0));
    const scale = Float64Array.from(
      { length },
      (_, i) => inputs.reduce((s, x) => s + Math.abs(x[i]), 0),
    );
    const naive = inputs.reduce((sum, x) => sum.map((v, i) => v + x[i]));
    await reduceAll(inputs, { step: 0, bucket: 0, chunkElems: 333 });
    if (world > 2) {
      // Otherwise the inputs would not tell orders apart and the check below proves nothing.
      assert.notDeepEqual(bits(naive), bits(inputs[0]));
    }
    for (const out of inputs.slice(1)) assert.deepEqual(bits(out), bits(inputs[0]));
    for (let i = 0; i < length; i++) {
      assert.ok(Math.abs(inputs[0][i] - exact[i]) <= 1e-6 * scale[i], `element ${i}`);
    }
  }
});

Deno.test("ringAllReduce gives the same bits whatever order chunks arrive in", async () => {
  const next = lcg(11);
  const world = 4;
  const make = () => {
    const seeded = lcg(3);
    return Array.from(
      { length: world },
      () => Float32Array.from({ length: 5_000 }, () => (seeded() - 0.5) * 10 ** (8 * seeded())),
    );
  };
  const calm = make();
  await reduceAll(calm, { step: 0, bucket: 0, chunkElems: 100 });
  const shuffled = make();
  await reduceAll(
    shuffled,
    { step: 0, bucket: 0, chunkElems: 100 },
    () => ({ kind: "delay", ms: Math.floor(next() * 3) }),
  );
  for (let rank = 0; rank < world; rank++) assert.deepEqual(bits(shuffled[rank]), bits(calm[0]));
});

Deno.test("ringAllReduce reduces a million floats", async () => {
  const world = 4;
  const length = 1 << 20;
  const inputs = Array.from(
    { length: world },
    (_, r) => Float32Array.from({ length }, (_, i) => (i & 255) + r),
  );
  await reduceAll(inputs, { step: 3, bucket: 0 });
  for (const out of inputs) {
    for (let i = 0; i < length; i += 4099) assert.equal(out[i], 4 * (i & 255) + 6);
    assert.equal(out[length - 1], 4 * 255 + 6);
  }
});

Deno.test("ringAllReduce with world 1 leaves data alone", async () => {
  const data = Float32Array.of(1, 2, 3);
  await ringAllReduce(memoryMesh(1)[0], 0, 1, data, { step: 0, bucket: 0 });
  assert.deepEqual(data, Float32Array.of(1, 2, 3));
});

Deno.test("ringAllReduce rejects a rank outside the world", async () => {
  await assert.rejects(
    ringAllReduce(memoryMesh(2)[0], 2, 2, new Float32Array(4), { step: 0, bucket: 0 }),
    RangeError,
  );
});

Deno.test("ringAllReduce names a peer that never answers", async () => {
  const world = 3;
  const dead = 2;
  const links = memoryMesh(world, {
    fault: (_from, to) => (to === dead ? { kind: "hang" } : undefined),
  });
  const options = { step: 5, bucket: 1, chunkElems: 4, timeoutMs: 100 };
  const started = Date.now();
  // The dead rank never calls ringAllReduce.
  const results = await Promise.allSettled(
    [0, 1].map((rank) => ringAllReduce(links[rank], rank, world, new Float32Array(30), options)),
  );
  assert.ok(Date.now() - started < 2_000);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason;
    assert.ok(error instanceof MeshTimeoutError, String(error));
    assert.equal(error.rank, dead);
    assert.equal(error.step, 5);
    assert.equal(error.bucket, 1);
    assert.match(error.message, /rank 2 .*step 5.*bucket 1/);
  }
});

Deno.test("ringAllReduce blames the sender of a lost chunk", async () => {
  const inputs = [new Float32Array(8), new Float32Array(8)];
  const results = await reduceAll(
    inputs,
    { step: 0, bucket: 0, timeoutMs: 50 },
    (from) => (from === 1 ? { kind: "drop" } : undefined),
  );
  const error = (results[0] as PromiseRejectedResult).reason;
  assert.ok(error instanceof MeshTimeoutError);
  assert.equal(error.rank, 1);
});

Deno.test("ringAllReduce rejects with the error of a failed send", async () => {
  const inputs = [new Float32Array(8), new Float32Array(8), new Float32Array(8)];
  const results = await reduceAll(
    inputs,
    { step: 9, bucket: 0, timeoutMs: 200 },
    (from) => (from === 0 ? { kind: "fail" } : undefined),
  );
  const error = (results[0] as PromiseRejectedResult).reason;
  assert.ok(error instanceof MeshError && !(error instanceof MeshTimeoutError), String(error));
  assert.equal(error.rank, 1);
  assert.equal(error.step, 9);
  assert.ok(results.every((r) => r.status === "rejected"));
});
