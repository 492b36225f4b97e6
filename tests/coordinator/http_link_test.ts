import assert from "node:assert/strict";
import { MeshAuthError, MeshError, MeshTimeoutError } from "../../coordinator/transport/errors.ts";
import { HttpLink, type HttpLinkOptions } from "../../coordinator/transport/http_link.ts";
import { ringAllReduce } from "../../coordinator/transport/ring.ts";
import { Mailbox } from "../../coordinator/transport/mailbox.ts";
import { DEFAULT_CHUNK_ELEMS, RingPlan } from "../../coordinator/transport/ring_plan.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";

const key = { step: 0, bucket: 0, chunk: 0 };

/** `world` ranks on 127.0.0.1, each expecting the chunks of one ring all-reduce of `length`. */
function startMesh(world: number, length: number, chunkElems: number, token = newJobToken()) {
  const plan = new RingPlan(length, world, chunkElems);
  const servers = Array.from({ length: world }, (_, rank) =>
    serveRing({
      token,
      chunkLengthFor: (k, from) => plan.chunkLength(rank, from, k.chunk),
    }));
  const peers = servers.map((s) => s.url);
  const links = servers.map((s, rank) =>
    new HttpLink({ rank, peers, token, mailbox: s.mailbox, maxInFlight: 3 })
  );
  return {
    servers,
    links,
    async [Symbol.asyncDispose]() {
      await Promise.all(links.map((link) => link.close()));
      await Promise.all(servers.map((server) => server.shutdown()));
    },
  };
}

/**
 * Rank 0 of two, whose rank 1 is at `peer`: its own ring endpoint (taking chunks of
 * `chunkLength` floats) and its link, with `options` over the defaults.
 */
function rankZero(
  token: string,
  peer: string,
  chunkLength: number,
  options: Partial<HttpLinkOptions> = {},
) {
  const own = serveRing({ token, chunkLengthFor: () => chunkLength });
  const link = new HttpLink({
    rank: 0,
    peers: [own.url, peer],
    token,
    mailbox: own.mailbox,
    ...options,
  });
  return {
    link,
    async [Symbol.asyncDispose]() {
      await link.close();
      await own.shutdown();
    },
  };
}

/** A peer that accepts connections and never reads from or answers them. */
function silentPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of held) conn.close();
    },
  };
}

/** A port that nothing listens on (for a moment). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

for (const world of [2, 4]) {
  Deno.test(`ringAllReduce over HTTP with ${world} ranks`, async () => {
    const length = 100_003;
    const chunkElems = 4096;
    await using mesh = startMesh(world, length, chunkElems);
    const inputs = Array.from(
      { length: world },
      (_, r) => Float32Array.from({ length }, (_, i) => Math.sin(i + r) * 10 ** (r % 3)),
    );
    const exact = Float64Array.from({ length }, (_, i) => inputs.reduce((s, x) => s + x[i], 0));
    for (const step of [0, 1]) {
      await Promise.all(
        mesh.links.map((link, rank) =>
          ringAllReduce(link, rank, world, inputs[rank], { step, bucket: 0, chunkElems })
        ),
      );
      for (const out of inputs) assert.deepEqual(out, inputs[0]);
      if (step === 0) {
        for (let i = 0; i < length; i += 97) assert.ok(Math.abs(inputs[0][i] - exact[i]) < 1e-3);
      }
    }
    for (const server of mesh.servers) assert.equal(server.mailbox.pending, 0);
  });
}

for (const world of [2, 4]) {
  Deno.test(`1M floats round trip over HTTP with ${world} ranks`, async () => {
    const length = 1 << 20;
    const chunkElems = DEFAULT_CHUNK_ELEMS;
    await using mesh = startMesh(world, length, chunkElems);
    // Integers small enough that every sum is exact, different on every rank and element.
    const inputs = Array.from(
      { length: world },
      (_, r) => Float32Array.from({ length }, (_, i) => ((i * 7 + r * 13) % 1001) - 500),
    );
    const expected = Float32Array.from(
      { length },
      (_, i) => inputs.reduce((sum, x) => sum + x[i], 0),
    );
    await Promise.all(
      mesh.links.map((link, rank) =>
        ringAllReduce(link, rank, world, inputs[rank], { step: 0, bucket: 0, chunkElems })
      ),
    );
    for (const out of inputs) assert.deepEqual(out, expected);
    for (const server of mesh.servers) assert.equal(server.mailbox.pending, 0);
  });
}

Deno.test("HttpLink carries a 1M-float chunk intact", async () => {
  const length = 1 << 20;
  await using mesh = startMesh(2, 2 * length, length);
  const data = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e6);
  const sent = data.slice();
  const got = new Float32Array(length);
  const arrived = mesh.links[1].recvInto(0, key, got);
  await mesh.links[0].send(1, key, data);
  await arrived;
  assert.deepEqual(got, sent);
  assert.deepEqual(data, sent);
});

Deno.test("HttpLink.recvInto receives straight into the caller's memory", async () => {
  const length = 1 << 20;
  await using mesh = startMesh(2, 2 * length, length);
  const memory = new Float32Array(length + 4).fill(-1);
  const data = Float32Array.from({ length }, (_, i) => i % 977);
  const receiving = mesh.links[1].recvInto(0, key, memory.subarray(2, 2 + length));
  await mesh.links[0].send(1, key, data);
  await receiving;
  assert.deepEqual(memory.subarray(2, 2 + length), data);
  assert.deepEqual([...memory.subarray(0, 2), ...memory.subarray(2 + length)], [-1, -1, -1, -1]);
  // A chunk that arrives before it is asked for is copied in.
  const early = { ...key, chunk: 1 };
  await mesh.links[0].send(1, early, data);
  const copy = new Float32Array(length);
  await mesh.links[1].recvInto(0, early, copy);
  assert.deepEqual(copy, data);
  assert.equal(mesh.servers[1].mailbox.pending, 0);
});

Deno.test("HttpLink sends many chunks through a few connections", async () => {
  const token = newJobToken();
  const server = serveRing({ token, chunkLengthFor: () => 3 });
  const link = new HttpLink({
    rank: 0,
    peers: [server.url, server.url],
    token,
    mailbox: new Mailbox(),
    maxInFlight: 2,
  });
  try {
    const keys = Array.from({ length: 50 }, (_, chunk) => ({ step: 1, bucket: 0, chunk }));
    await Promise.all(keys.map((k) => link.send(1, k, Float32Array.of(k.chunk, 1, 2))));
    for (const k of keys) {
      assert.deepEqual(await server.mailbox.take(0, k), Float32Array.of(k.chunk, 1, 2));
    }
  } finally {
    await link.close();
    await server.shutdown();
  }
});

Deno.test("HttpLink reports the 413 of a peer that stops reading an oversized chunk", async () => {
  await using mesh = startMesh(2, 8, 4);
  // Far more than the socket buffers hold: the server answers and closes mid-body.
  const error = await mesh.links[0].send(1, key, new Float32Array(1 << 24)).catch((e) => e);
  assert.ok(error instanceof MeshError, String(error));
  assert.match(error.message, /HTTP 413/);
  assert.equal(mesh.servers[1].mailbox.pending, 0);
  // The link recovers: the next send opens a fresh connection.
  await mesh.links[0].send(1, key, Float32Array.of(1, 2, 3, 4));
  assert.deepEqual(await mesh.servers[1].mailbox.take(0, key), Float32Array.of(1, 2, 3, 4));
});

Deno.test("HttpLink stops a send waiting for a connection when its signal aborts", async () => {
  await using silent = silentPeer();
  await using rank0 = rankZero(newJobToken(), silent.url, 1, { maxInFlight: 1 });
  const abort = new AbortController();
  const first = rank0.link.send(1, key, Float32Array.of(1), abort.signal).catch((e) => e);
  const queued = rank0.link.send(1, { ...key, chunk: 1 }, Float32Array.of(2), abort.signal)
    .catch((e) => e);
  await new Promise((resolve) => setTimeout(resolve, 50));
  abort.abort(new Error("gave up"));
  assert.match(String(await first), /gave up/);
  assert.match(String(await queued), /gave up/);
});

Deno.test("HttpLink with the wrong token gets MeshAuthError and changes nothing", async () => {
  await using mesh = startMesh(2, 8, 4);
  const peers = mesh.servers.map((s) => s.url);
  const stranger = new HttpLink({
    rank: 0,
    peers,
    token: newJobToken(),
    mailbox: mesh.servers[0].mailbox,
  });
  try {
    const error = await stranger.send(1, key, new Float32Array(4)).catch((e) => e);
    assert.ok(error instanceof MeshAuthError, String(error));
    assert.equal(error.rank, 1);
    assert.equal(error.host, new URL(peers[1]).host);
    assert.equal(mesh.servers[1].mailbox.pending, 0);
  } finally {
    await stranger.close();
  }
});

Deno.test("ring endpoint refuses wrong sizes over a real socket", async () => {
  await using mesh = startMesh(2, 8, 4);
  // The right size is 4 floats; 5 are too many, 3 too few.
  for (const [floats, status] of [[5, 413], [3, 400]]) {
    const error = await mesh.links[0].send(1, key, new Float32Array(floats)).catch((e) => e);
    assert.ok(error instanceof MeshError, String(error));
    assert.match(error.message, new RegExp(`HTTP ${status}`));
  }
  const big = new Uint8Array(1 << 20);
  const res = await fetch(`${mesh.servers[1].url}/v1/ring/0/0/0`, {
    method: "PUT",
    body: big,
    headers: { authorization: "Bearer nope", "x-gradmesh-rank": "0" },
  });
  assert.equal(res.status, 401);
  await res.body?.cancel();
  assert.equal(mesh.servers[1].mailbox.pending, 0);
});

Deno.test("HttpLink retries while a peer is still starting", async () => {
  const token = newJobToken();
  const port = freePort();
  await using rank0 = rankZero(token, `http://127.0.0.1:${port}`, 2);
  const sending = rank0.link.send(1, key, Float32Array.of(1, 2));
  await new Promise((resolve) => setTimeout(resolve, 150));
  const late = serveRing({ token, port, chunkLengthFor: () => 2 });
  try {
    await sending;
    assert.deepEqual(await late.mailbox.take(0, key), Float32Array.of(1, 2));
  } finally {
    await late.shutdown();
  }
});

Deno.test("HttpLink gives up on a peer that never starts", async () => {
  const peer = `http://127.0.0.1:${freePort()}`;
  await using rank0 = rankZero(newJobToken(), peer, 2, { connectRetryMs: 200 });
  const started = Date.now();
  const error = await rank0.link.send(1, { step: 4, bucket: 2, chunk: 0 }, Float32Array.of(1))
    .catch((e) => e);
  assert.ok(Date.now() - started < 3_000);
  assert.ok(error instanceof MeshError, String(error));
  assert.equal(error.rank, 1);
  assert.equal(error.step, 4);
  assert.match(error.message, /bucket 2/);
});

Deno.test("ringAllReduce over HTTP names a peer that accepts and never answers", async () => {
  await using silent = silentPeer();
  await using rank0 = rankZero(newJobToken(), silent.url, 4);
  const error = await ringAllReduce(rank0.link, 0, 2, new Float32Array(8), {
    step: 3,
    bucket: 1,
    timeoutMs: 200,
  }).catch((e) => e);
  assert.ok(error instanceof MeshTimeoutError, String(error));
  assert.equal(error.rank, 1);
  assert.equal(error.step, 3);
  assert.equal(error.bucket, 1);
});

Deno.test("HttpLink retries a peer that is not ready (503) until it is, within connectRetryMs", async () => {
  const token = newJobToken();
  let ready = false;
  const server = serveRing({ token, chunkLengthFor: () => ready ? 2 : null });
  const options = { rank: 0, peers: ["", server.url], token, mailbox: new Mailbox() };
  const link = new HttpLink({ ...options, connectRetryMs: 5_000 });
  setTimeout(() => ready = true, 100);
  const started = performance.now();
  await link.send(1, key, Float32Array.of(1, 2));
  assert.ok(performance.now() - started >= 90);
  assert.deepEqual(await server.mailbox.take(0, key), Float32Array.of(1, 2));
  ready = false;
  const impatient = new HttpLink({ ...options, connectRetryMs: 50 });
  const error = await impatient.send(1, { ...key, chunk: 1 }, Float32Array.of(1, 2)).catch((e) =>
    e
  );
  assert.ok(error instanceof MeshError, String(error));
  assert.match(error.message, /HTTP 503: not ready/);
  assert.equal(server.mailbox.pending, 0);
  await link.close();
  await impatient.close();
  await server.shutdown();
});
