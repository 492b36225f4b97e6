import assert from "node:assert/strict";
import { ringAllReduce } from "../../coordinator/transport/ring.ts";
import { RingPlan } from "../../coordinator/transport/ring_plan.ts";
import { startTestMesh } from "./link_meshes.ts";
import { within } from "./raw_client.ts";

// Deno's blocking pool runs at most 32 FFI calls at once: a rank that parked one call per
// idle connection on it would queue the reads of the busy ones behind them.
const WORLD = 3, STREAMS = 40, LENGTH = 3 * 4096 + 5, CHUNK_ELEMS = 512;

Deno.test("ranks holding 40 native connections each (120 in the process) still all-reduce exactly", async () => {
  const plan = new RingPlan(LENGTH, WORLD, CHUNK_ELEMS);
  // Bucket 0: the ring all-reduce; bucket 1: one 4-float chunk per connection.
  const expected = (rank: number) => (key: { bucket: number; chunk: number }, from: number) =>
    key.bucket === 1 ? 4 : plan.chunkLength(rank, from, key.chunk);
  await using mesh = await startTestMesh("native", WORLD, expected, STREAMS);
  const right = (rank: number) => (rank + 1) % WORLD;

  // As many concurrent sends as connections: each goes on a connection of its own, so every
  // connection is established and then waits for its next frame.
  const spread = mesh.links.map(async (link, rank) => {
    const keys = Array.from({ length: STREAMS }, (_, chunk) => ({ step: 0, bucket: 1, chunk }));
    await Promise.all(
      keys.map((k) => link.send(right(rank), k, Float32Array.of(rank, k.chunk, 0, 1))),
    );
    const from = (rank + WORLD - 1) % WORLD;
    for (const k of keys) {
      const got = new Float32Array(4);
      await mesh.links[rank].recvInto(from, k, got);
      assert.deepEqual(got, Float32Array.of(from, k.chunk, 0, 1));
    }
  });
  assert.ok(await within(Promise.all(spread), 10_000), "chunks over 40 streams stalled");
  await Promise.all(spread);

  // Integer values: the sum is exact in any order, so every rank must hold it bit for bit.
  const grads = mesh.links.map((_, rank) =>
    Float32Array.from({ length: LENGTH }, (_, i) => ((i * 7 + rank * 13) % 1000) - 500)
  );
  const sum = Float32Array.from(
    { length: LENGTH },
    (_, i) => grads.reduce((total, g) => total + g[i], 0),
  );
  const reduced = mesh.links.map((link, rank) =>
    ringAllReduce(link, rank, WORLD, grads[rank], {
      step: 0,
      bucket: 0,
      chunkElems: CHUNK_ELEMS,
      timeoutMs: 10_000,
    })
  );
  await Promise.all(reduced);
  for (const g of grads) assert.deepEqual(new Uint32Array(g.buffer), new Uint32Array(sum.buffer));
});
