import assert from "node:assert/strict";
import { MeshAuthError, MeshError } from "../../coordinator/transport/errors.ts";
import { NativeLink } from "../../coordinator/transport/native_link.ts";
import { type NativeServer, serveNative } from "../../coordinator/transport/native_server.ts";
import { ringAllReduce } from "../../coordinator/transport/ring.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";
import { startTestMesh } from "./link_meshes.ts";

const key = { step: 0, bucket: 0, chunk: 0 };

/** Two native ranks whose endpoints expect chunks of `floats`. */
const pair = (floats: number, token?: string) =>
  startTestMesh("native", 2, () => () => floats, 1, token);

/** A port that nothing listens on (for a moment). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Rank 0 of two: its own endpoint and a link whose rank 1 is at `peer`. */
async function rankZero(token: string, peer: string, connectRetryMs?: number) {
  const server = await serveNative({ token, chunkLengthFor: () => 2 });
  const link = new NativeLink({
    rank: 0,
    peers: [server.url, peer],
    token,
    server,
    connectRetryMs,
  });
  return {
    link,
    async [Symbol.asyncDispose]() {
      await link.close();
      await server.shutdown();
    },
  };
}

Deno.test("NativeLink reads a 1M-float chunk straight into the caller's memory", async () => {
  const length = 1 << 20;
  await using mesh = await pair(length);
  const memory = new Float32Array(length + 4).fill(-1);
  const data = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e6);
  const sent = data.slice();
  const receiving = mesh.links[1].recvInto(0, key, memory.subarray(2, 2 + length));
  await mesh.links[0].send(1, key, data);
  await receiving;
  assert.deepEqual(memory.subarray(2, 2 + length), sent);
  assert.deepEqual([...memory.subarray(0, 2), ...memory.subarray(2 + length)], [-1, -1, -1, -1]);
  assert.deepEqual(data, sent);
  // A chunk that arrives before it is asked for waits in the mailbox and is copied in.
  const early = { ...key, chunk: 1 };
  await mesh.links[0].send(1, early, data);
  while (mesh.mailboxes[1].pending === 0) await new Promise((r) => setTimeout(r, 5));
  const copy = new Float32Array(length);
  await mesh.links[1].recvInto(0, early, copy);
  assert.deepEqual(copy, sent);
  assert.equal(mesh.mailboxes[1].pending, 0);
});

Deno.test("NativeLink keeps the chunks of many sends apart over a few connections", async () => {
  await using mesh = await startTestMesh("native", 2, () => () => 3, 3);
  const keys = Array.from({ length: 50 }, (_, chunk) => ({ step: 1, bucket: 0, chunk }));
  await Promise.all(keys.map((k) => mesh.links[0].send(1, k, Float32Array.of(k.chunk, 1, 2))));
  for (const k of keys) {
    const got = new Float32Array(3);
    await mesh.links[1].recvInto(0, k, got);
    assert.deepEqual(got, Float32Array.of(k.chunk, 1, 2));
  }
});

Deno.test("NativeLink with the wrong token gets MeshAuthError naming the peer, and changes nothing", async () => {
  const logged: string[] = [];
  const token = newJobToken();
  const peer = await serveNative({ token, chunkLengthFor: () => 4, log: (l) => logged.push(l) });
  await using stranger = await rankZero(newJobToken(), peer.url);
  try {
    const error = await stranger.link.send(1, key, new Float32Array(4)).catch((e) => e);
    assert.ok(error instanceof MeshAuthError, String(error));
    assert.equal(error.rank, 1);
    assert.equal(error.host, new URL(peer.url).host);
    assert.equal(peer.mailbox.pending, 0);
    assert.match(logged.join("\n"), /rank 0 offered a wrong job token/);
  } finally {
    await peer.shutdown();
  }
});

Deno.test("a connection that never finishes its handshake is closed after the timeout", async () => {
  const server = await serveNative({
    token: newJobToken(),
    chunkLengthFor: () => 2,
    handshakeTimeoutMs: 100,
    log: () => {},
  });
  const { port } = new URL(server.url);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  try {
    await conn.write(new Uint8Array(5)); // part of a handshake, then silence
    const started = Date.now();
    assert.equal(await conn.read(new Uint8Array(8)), null);
    assert.ok(Date.now() - started < 3_000);
  } finally {
    conn.close();
    await server.shutdown();
  }
});

Deno.test("NativeLink retries while a peer is still starting, and gives up on one that never does", async () => {
  const token = newJobToken();
  const port = freePort();
  await using rank0 = await rankZero(token, `tcp://127.0.0.1:${port}`);
  const sending = rank0.link.send(1, key, Float32Array.of(1, 2));
  await new Promise((resolve) => setTimeout(resolve, 150));
  const late = await serveNative({ token, port, chunkLengthFor: () => 2 });
  try {
    await sending;
    assert.deepEqual(await late.mailbox.take(0, key), Float32Array.of(1, 2));
  } finally {
    await late.shutdown();
  }
  await using lonely = await rankZero(token, `tcp://127.0.0.1:${freePort()}`, 200);
  const started = Date.now();
  const error = await lonely.link.send(1, { step: 4, bucket: 2, chunk: 0 }, Float32Array.of(1, 2))
    .catch((e) => e);
  assert.ok(Date.now() - started < 3_000);
  assert.ok(error instanceof MeshError, String(error));
  assert.equal(error.rank, 1);
  assert.equal(error.step, 4);
  assert.match(error.message, /bucket 2.*cannot connect/);
});

Deno.test("a chunk waits in the socket until its endpoint knows the plan", async () => {
  const token = newJobToken();
  let ready = false;
  const server = await serveNative({ token, chunkLengthFor: () => (ready ? 2 : null) });
  await using rank0 = await rankZero(token, server.url);
  try {
    await rank0.link.send(1, key, Float32Array.of(5, 6));
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(server.mailbox.pending, 0);
    ready = true;
    assert.deepEqual(await server.mailbox.take(0, key), Float32Array.of(5, 6));
  } finally {
    await server.shutdown();
  }
});

Deno.test("a chunk nobody expects closes the connection, and the sender's next send fails", async () => {
  const logged: string[] = [];
  const token = newJobToken();
  const peer = await serveNative({
    token,
    chunkLengthFor: (k) => (k.chunk === 0 ? 2 : undefined),
    log: (l) => logged.push(l),
  });
  await using rank0 = await rankZero(token, peer.url);
  try {
    await rank0.link.send(1, { ...key, chunk: 7 }, Float32Array.of(1, 2));
    const error = await (async () => {
      for (let i = 0; i < 100; i++) {
        await rank0.link.send(1, key, Float32Array.of(1, 2));
        await new Promise((r) => setTimeout(r, 10));
      }
    })().catch((e) => e);
    assert.ok(error instanceof MeshError, String(error));
    assert.equal(error.rank, 1);
    assert.match(logged.join("\n"), /no chunk 7 expected/);
  } finally {
    await peer.shutdown();
  }
});

Deno.test("aborting unblocks a receive and a send, and close waits for nothing", async () => {
  await using mesh = await pair(1 << 22);
  const abort = new AbortController();
  const receiving = mesh.links[1].recvInto(0, key, new Float32Array(1 << 22), abort.signal);
  // Nobody takes step 5's chunks on rank 0: sends to it fill the socket buffers and wait.
  const stuck = mesh.links[1].send(0, { ...key, step: 5 }, new Float32Array(1 << 22), abort.signal);
  const more = mesh.links[1].send(
    0,
    { ...key, step: 5, chunk: 1 },
    new Float32Array(1 << 22),
    abort.signal,
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  abort.abort(new Error("gave up"));
  for (const pending of [receiving, stuck, more]) {
    assert.match(String(await pending.catch((e) => e)), /gave up/);
  }
});

Deno.test("a peer killed mid-chunk fails the receive with a MeshError naming it", async () => {
  const token = newJobToken();
  const server: NativeServer = await serveNative({
    token,
    chunkLengthFor: () => 1 << 20,
    peerAddress: (rank) => (rank === 1 ? "127.0.0.1:9" : "self"),
  });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./native_peer_child.ts", import.meta.url).pathname, server.url],
    env: { GRADMESH_TOKEN: token },
    stdout: "piped",
  }).spawn();
  const link = new NativeLink({ rank: 0, peers: [server.url, "tcp://127.0.0.1:9"], token, server });
  try {
    const reader = child.stdout.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /sent/);
    reader.releaseLock();
    const receiving = ringAllReduce(link, 0, 2, new Float32Array(2 << 20), {
      step: 0,
      bucket: 0,
      chunkElems: 1 << 20,
    }).catch((e) => e);
    child.kill("SIGKILL");
    const error = await receiving;
    assert.ok(error instanceof MeshError, String(error));
    assert.equal(error.rank, 1);
    assert.equal(error.host, "127.0.0.1:9");
    assert.match(error.message, /connection broke off: connection closed/);
  } finally {
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await link.close();
    await server.shutdown();
  }
});
