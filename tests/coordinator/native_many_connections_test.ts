import assert from "node:assert/strict";
import { encodeHello } from "../../coordinator/transport/native_frame.ts";
import { NativeLink } from "../../coordinator/transport/native_link.ts";
import { serveNative } from "../../coordinator/transport/native_server.ts";
import { ringAllReduce } from "../../coordinator/transport/ring.ts";
import { RingPlan } from "../../coordinator/transport/ring_plan.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";
import { startTestMesh } from "./link_meshes.ts";
import { concat, frameHead, RawClient, within } from "./raw_client.ts";

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

Deno.test("40 connections that stop halfway through a chunk's body do not hold up a real peer", async () => {
  const token = newJobToken();
  const server = await serveNative({
    token,
    chunkLengthFor: (k) => (k.bucket === 0 ? 2 : 1024),
    world: () => 2,
    log: () => {},
  });
  const link = new NativeLink({ rank: 0, peers: [server.url, server.url], token, server });
  let stalled: RawClient[] = [];
  try {
    // A client with the token that sends a header and 100 of the body's 4096 bytes, then waits.
    stalled = await Promise.all(Array.from({ length: 40 }, async (_, chunk) => {
      const client = await RawClient.open(Number(new URL(server.url).port));
      await client.write(concat(encodeHello(0, token), frameHead(0n, 1, chunk, 4096)));
      await client.write(new Uint8Array(100));
      return client;
    }));
    await new Promise((resolve) => setTimeout(resolve, 50)); // their bodies are being read
    const key = { step: 0, bucket: 0, chunk: 0 };
    const sent = link.send(1, key, Float32Array.of(1, 2));
    const got = server.mailbox.take(0, key);
    assert.ok(await within(Promise.all([sent, got]), 5_000), "the real chunk was held up");
    assert.deepEqual(await got, Float32Array.of(1, 2));
  } finally {
    for (const client of stalled) client.close();
    await link.close();
    await server.shutdown();
  }
});
