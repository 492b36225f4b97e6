import assert from "node:assert/strict";
import { MeshAuthError, MeshError } from "../../coordinator/transport/errors.ts";
import { NativeLink } from "../../coordinator/transport/native_link.ts";
import { encodeHello } from "../../coordinator/transport/native_frame.ts";
import {
  HANDSHAKE_TIMEOUT_MS,
  MAX_HANDSHAKES,
  type NativeServer,
  serveNative,
} from "../../coordinator/transport/native_server.ts";
import { NativeListener } from "../../coordinator/transport/native_socket.ts";
import { ringAllReduce } from "../../coordinator/transport/ring.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";
import { startTestMesh } from "./link_meshes.ts";
import { concat, frameHead, RawClient, within } from "./raw_client.ts";

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

/** A raw connection to `url`'s port that opens with `bytes`. */
async function rawNative(url: string, bytes: Uint8Array): Promise<RawClient> {
  const client = await RawClient.open(Number(new URL(url).port));
  await client.write(bytes);
  return client;
}

Deno.test("connections that never finish their handshake cannot lock a real peer out", async () => {
  const logged: string[] = [];
  const token = newJobToken();
  const server = await serveNative({
    token,
    chunkLengthFor: () => 2,
    // Far beyond the test: a stranger closed was cut for a newcomer, not timed out.
    handshakeTimeoutMs: 60_000,
    log: (l) => logged.push(l),
  });
  const strangers = await Promise.all(
    Array.from({ length: MAX_HANDSHAKES + 8 }, () => rawNative(server.url, new Uint8Array(5))),
  );
  const link = new NativeLink({ rank: 0, peers: [server.url, server.url], token, server });
  try {
    // Each stranger past the bound cut the oldest handshake under way …
    const cut = async () =>
      (await Promise.all(strangers.map((s) => within(s.closed, 0)))).filter(Boolean).length;
    for (let i = 0; i < 300 && await cut() < 8; i++) await within(strangers[0].closed, 10);
    assert.equal(await cut(), 8);
    // … and a real peer, the 41st, still gets in at once.
    const started = Date.now();
    await link.send(1, key, Float32Array.of(1, 2));
    assert.deepEqual(await server.mailbox.take(0, key), Float32Array.of(1, 2));
    assert.ok(Date.now() - started < HANDSHAKE_TIMEOUT_MS / 2, `${Date.now() - started} ms`);
    assert.equal(await cut(), 9);
    assert.equal(logged.length, 1, logged.join("\n"));
    assert.match(logged[0], /32 handshakes under way: the oldest was cut/);
  } finally {
    for (const stranger of strangers) stranger.close();
    await link.close();
    await server.shutdown();
  }
});

Deno.test("a stray connection claiming a connected rank cannot fail it; unknown ranks are refused", async () => {
  const logged: string[] = [];
  const token = newJobToken();
  const server = await serveNative({
    token,
    chunkLengthFor: (k) => (k.bucket === 0 ? 2 : undefined),
    world: () => 2,
    log: (l) => logged.push(l),
  });
  const link = new NativeLink({ rank: 0, peers: [server.url, server.url], token, server });
  let strays: RawClient[] = [];
  try {
    await link.send(1, key, Float32Array.of(1, 2));
    strays = await Promise.all([
      // An unknown bucket, a hang-up without a goodbye, a body cut short.
      concat(encodeHello(0, token), frameHead(0n, 9, 0, 8)),
      encodeHello(0, token),
      concat(encodeHello(0, token), frameHead(0n, 0, 1, 8), new Uint8Array(3)),
      // Ranks that are not in the job, and a wrong token: closed at the handshake.
      encodeHello(2, token),
      encodeHello(0xffffffff, token),
      encodeHello(1, "not-the-token"),
    ].map((bytes) => rawNative(server.url, bytes)));
    for (const stray of strays.slice(1, 3)) await stray.end();
    assert.ok((await Promise.all(strays.map((s) => within(s.closed, 3000)))).every(Boolean));
    // Answers: OK to the three with the token and a known rank, wrong token to the last.
    assert.deepEqual(strays.map((s) => s.text.length), [4, 4, 4, 0, 0, 4]);
    assert.equal(server.lost(0).aborted, false);
    await link.send(1, { ...key, step: 1 }, Float32Array.of(3, 4));
    assert.deepEqual(await server.mailbox.take(0, { ...key, step: 1 }), Float32Array.of(3, 4));
    const lines = logged.join("\n");
    assert.match(lines, /rank 0: step 0 bucket 9: no chunk 0 expected/);
    assert.match(lines, /handshake: (rank \d+ is not among the job's 2|rank 1 offered a wrong)/);
    // Refused handshakes are logged once per interval, not once each.
    assert.equal(logged.length, 2, lines);
  } finally {
    for (const stray of strays) stray.close();
    await link.close();
    await server.shutdown();
  }
});

Deno.test("closing a socket while a receive waits on it keeps its descriptor until the receive returns", async () => {
  const listener = await NativeListener.listen("127.0.0.1", 0);
  const accepting = listener.accept();
  const client = await RawClient.open(listener.port);
  const socket = (await accepting)!;
  try {
    const receiving = socket.recvExact(new Uint8Array(8)).catch((e) => e);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the call waits on the pool
    socket.close();
    // Until the waiting call returned, its descriptor must not go to the next connection.
    const held = socket.holdsDescriptor;
    assert.match(String(await receiving), /false|shut down/);
    assert.ok(held, "the descriptor was released under a waiting call");
    assert.equal(socket.holdsDescriptor, false);
    // The next connection gets the lowest free number (likely the one released) intact.
    const next = listener.accept();
    const second = await RawClient.open(listener.port);
    const fresh = (await next)!;
    await second.write(Uint8Array.of(1, 2, 3, 4));
    const got = new Uint8Array(4);
    assert.equal(await fresh.recvExact(got), true);
    assert.deepEqual(got, Uint8Array.of(1, 2, 3, 4));
    fresh.close();
    second.close();
  } finally {
    client.close();
    listener.close();
  }
});

Deno.test("aborts during a handshake: closing the link or shutting the endpoint ends it at once", async () => {
  // A peer that accepts and never answers: the link's close cuts its handshake.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  const token = newJobToken();
  const own = await serveNative({ token, chunkLengthFor: () => 2 });
  const link = new NativeLink({
    rank: 0,
    peers: [own.url, `tcp://127.0.0.1:${silent.addr.port}`],
    token,
    server: own,
  });
  try {
    const sending = link.send(1, key, Float32Array.of(1, 2)).catch((e) => e);
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await link.close();
    const error = await sending;
    assert.ok(error instanceof MeshError, String(error));
    assert.match(error.message, /handshake failed/);
    assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
  } finally {
    for (const conn of held) conn.close();
    silent.close();
    await accepting.catch(() => {});
  }
  // An endpoint shut down while a stranger is at its handshake closes it and returns.
  const stranger = await rawNative(own.url, new Uint8Array(5));
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = Date.now();
  await own.shutdown();
  assert.ok(await within(stranger.closed, 1000));
  assert.ok(Date.now() - started < 1000, `${Date.now() - started} ms`);
  stranger.close();
});
