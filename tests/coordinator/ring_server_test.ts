import assert from "node:assert/strict";
import { parseResponseHead } from "../../coordinator/transport/http1_head.ts";
import { Http1Reader } from "../../coordinator/transport/http1_reader.ts";
import { Mailbox } from "../../coordinator/transport/mailbox.ts";
import {
  ringApp,
  type RingAppOptions,
  SENDER_HEADER,
} from "../../coordinator/transport/ring_app.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";

const token = "secret-token";
/** Chunks of 4 floats, numbered 0–7, from rank 1 only. */
const options: RingAppOptions = {
  token,
  chunkLengthFor: (key, from) => (from === 1 && key.chunk < 8 ? 4 : undefined),
};
const CHUNK_BYTES = 16;

const encode = (text: string) => new TextEncoder().encode(text);
const floatBytes = (...xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

interface Put {
  path?: string;
  method?: string;
  headers?: Record<string, string | undefined>;
  /** Bytes declared in content-length, when not the body's own length. */
  declared?: number;
  body?: Uint8Array<ArrayBuffer>;
}

const PATH = "/v1/ring/0/0/0";

/** Header fields of a PUT as rank 1 with the right token, unless `put` says otherwise. */
function fields({ headers = {}, declared, body }: Put): [string, string][] {
  const all = {
    host: "test",
    authorization: `Bearer ${token}`,
    [SENDER_HEADER]: "1",
    "content-length": String(declared ?? body?.length ?? 0),
    ...headers,
  };
  return Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined);
}

function head(put: Put): Uint8Array {
  const lines = fields(put).map(([name, value]) => `${name}: ${value}\r\n`).join("");
  return encode(`${put.method ?? "PUT"} ${put.path ?? PATH} HTTP/1.1\r\n${lines}\r\n`);
}

/** A raw connection to `server`, speaking HTTP/1.1 by hand. */
async function connect(server: { url: string }) {
  const conn = await Deno.connect({
    hostname: "127.0.0.1",
    port: Number(new URL(server.url).port),
  });
  const reader = new Http1Reader(conn);
  const write = async (bytes: Uint8Array) => {
    for (let n = 0; n < bytes.length;) n += await conn.write(bytes.subarray(n));
  };
  return {
    conn,
    write,
    async send(put: Put) {
      await write(head(put));
      if (put.body) await write(put.body);
    },
    async reply() {
      const bytes = await reader.readHead();
      assert.ok(bytes, "connection closed before a reply");
      const { status, headers, bodyBytes, keepAlive } = parseResponseHead(bytes);
      const body = new Uint8Array(bodyBytes);
      assert.ok(await reader.readFull(body));
      return { status, headers, keepAlive, text: new TextDecoder().decode(body) };
    },
    /** Resolves once the server has closed the connection. */
    async closed() {
      assert.equal(await reader.readHead(), null);
    },
    [Symbol.dispose]() {
      try {
        conn.close();
      } catch { /* closed already */ }
    },
  };
}

function serve() {
  const server = serveRing(options);
  return Object.assign(server, { [Symbol.asyncDispose]: () => server.shutdown() });
}

/** What the in-process app answers to the same request. */
async function appAnswer(put: Put) {
  const app = ringApp(new Mailbox(), options);
  const res = await app.request(put.path ?? PATH, {
    method: put.method ?? "PUT",
    headers: fields(put),
    body: put.body ?? null,
  });
  return {
    status: res.status,
    text: await res.text(),
    challenge: res.headers.get("www-authenticate"),
  };
}

const refusals: [string, Put, number][] = [
  ["no token", { headers: { authorization: undefined }, body: floatBytes(1, 2, 3, 4) }, 401],
  ["wrong token", { headers: { authorization: "Bearer nope" }, body: new Uint8Array(16) }, 401],
  ["malformed step", { path: "/v1/ring/x/0/0", body: new Uint8Array(16) }, 400],
  ["no sender", { headers: { [SENDER_HEADER]: undefined }, body: new Uint8Array(16) }, 400],
  ["unexpected sender", { headers: { [SENDER_HEADER]: "2" }, body: new Uint8Array(16) }, 400],
  ["unexpected chunk", { path: "/v1/ring/0/0/8", body: new Uint8Array(16) }, 400],
  ["short body", { body: new Uint8Array(12) }, 400],
  ["long body", { body: new Uint8Array(20) }, 413],
  ["no body", {}, 400],
  ["health without token", { path: "/health", method: "GET", headers: { authorization: "" } }, 401],
  ["GET of a chunk", { method: "GET" }, 404],
];

Deno.test("ring server refuses what the app refuses, as it does, and keeps nothing", async () => {
  await using server = serve();
  using client = await connect(server);
  for (const [what, put, status] of refusals) {
    await client.send(put);
    const got = await client.reply();
    const expected = await appAnswer(put);
    assert.equal(got.status, status, what);
    assert.equal(got.status, expected.status, what);
    assert.equal(got.text, expected.text, what);
    assert.equal(got.headers.get("www-authenticate"), expected.challenge, what);
    // Small refused bodies are read and dropped: the connection carries on.
    assert.ok(got.keepAlive, what);
    assert.equal(server.mailbox.pending, 0, what);
  }
  await client.send({ body: floatBytes(1, 2, 3, 4) });
  assert.equal((await client.reply()).status, 204);
  assert.deepEqual(
    await server.mailbox.take(1, { step: 0, bucket: 0, chunk: 0 }),
    Float32Array.of(1, 2, 3, 4),
  );
});

Deno.test("ring server refuses a second copy of a chunk with the app's 409", async () => {
  await using server = serve();
  using client = await connect(server);
  await client.send({ body: floatBytes(1, 2, 3, 4) });
  assert.equal((await client.reply()).status, 204);
  await client.send({ body: floatBytes(5, 6, 7, 8) });
  const again = await client.reply();
  assert.equal(again.status, 409);
  assert.equal(again.text, "chunk 0 already delivered");
  assert.equal(server.mailbox.pending, 1);
  assert.deepEqual(
    await server.mailbox.take(1, { step: 0, bucket: 0, chunk: 0 }),
    Float32Array.of(1, 2, 3, 4),
  );
});

Deno.test("ring server answers an oversized body without reading it, then closes", async () => {
  await using server = serve();
  using client = await connect(server);
  // 64 MiB declared, a few bytes sent: waiting for the rest would hang this test.
  await client.send({ declared: 1 << 26, body: new Uint8Array(1024) });
  const reply = await client.reply();
  assert.equal(reply.status, 413);
  assert.equal(reply.text, `body of ${1 << 26} bytes, expected ${CHUNK_BYTES}`);
  assert.equal(reply.keepAlive, false);
  await client.closed();
  assert.equal(server.mailbox.pending, 0);
});

Deno.test("ring server answers unframeable requests itself and closes", async () => {
  await using server = serve();
  const cases: [string, number][] = [
    ["PUT /v1/ring/0/0/0 HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n", 501],
    ["NOT HTTP\r\n\r\n", 400],
    [`GET / HTTP/1.1\r\nx: ${"a".repeat(20_000)}\r\n\r\n`, 431],
  ];
  for (const [request, status] of cases) {
    using client = await connect(server);
    await client.write(encode(request));
    assert.equal((await client.reply()).status, status);
    await client.closed();
  }
});

Deno.test("ring server takes a body that arrives in several writes", async () => {
  await using server = serve();
  using client = await connect(server);
  const body = floatBytes(1.5, -2, 3.25, 4);
  await client.write(head({ body }));
  for (const piece of [body.subarray(0, 3), body.subarray(3, 9), body.subarray(9)]) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await client.write(piece);
  }
  assert.equal((await client.reply()).status, 204);
  assert.deepEqual(
    await server.mailbox.take(1, { step: 0, bucket: 0, chunk: 0 }),
    Float32Array.of(1.5, -2, 3.25, 4),
  );
});

Deno.test("ring server serves consecutive requests on one kept-alive connection", async () => {
  await using server = serve();
  using client = await connect(server);
  for (const chunk of [3, 5]) {
    await client.send({ path: `/v1/ring/1/1/${chunk}`, body: floatBytes(chunk, 0, 0, chunk) });
    const reply = await client.reply();
    assert.equal(reply.status, 204);
    assert.ok(reply.keepAlive);
  }
  for (const chunk of [3, 5]) {
    const data = await server.mailbox.take(1, { step: 1, bucket: 1, chunk });
    assert.deepEqual(data, Float32Array.of(chunk, 0, 0, chunk));
  }
});

Deno.test("ring server delivers nothing from a sender that leaves mid-body", async () => {
  await using server = serve();
  {
    using leaving = await connect(server);
    await leaving.send({ declared: CHUNK_BYTES, body: floatBytes(9, 9) });
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(server.mailbox.pending, 0);
  using client = await connect(server);
  await client.send({ body: floatBytes(1, 2, 3, 4) });
  assert.equal((await client.reply()).status, 204);
  assert.deepEqual(
    await server.mailbox.take(1, { step: 0, bucket: 0, chunk: 0 }),
    Float32Array.of(1, 2, 3, 4),
  );
});

Deno.test("ring server shutdown closes idle connections and waits for busy ones", async () => {
  const server = serve();
  using idle = await connect(server);
  using busy = await connect(server);
  // A first exchange on each makes sure the server has taken both connections.
  for (const [client, chunk] of [[idle, 1], [busy, 2]] as const) {
    await client.send({ path: `/v1/ring/0/0/${chunk}`, body: new Uint8Array(CHUNK_BYTES) });
    assert.equal((await client.reply()).status, 204);
  }
  await busy.send({ declared: CHUNK_BYTES, body: floatBytes(1, 2) });
  // Time for the server to read the head: from then on the connection is busy.
  await new Promise((resolve) => setTimeout(resolve, 50));
  let stopped = false;
  const stopping = server.shutdown().then(() => stopped = true);
  await idle.closed();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(stopped, false);
  await busy.write(floatBytes(3, 4));
  assert.equal((await busy.reply()).status, 204);
  await busy.closed();
  await stopping;
  assert.deepEqual(
    await server.mailbox.take(1, { step: 0, bucket: 0, chunk: 0 }),
    Float32Array.of(1, 2, 3, 4),
  );
});

Deno.test("ring server reads into a waiting taker's memory, and stops when it gives up", async () => {
  await using server = serve();
  const key = { step: 0, bucket: 0, chunk: 0 };
  const memory = new Float32Array(6);
  const abort = new AbortController();
  const taken = server.mailbox.takeInto(1, key, memory.subarray(1, 5), abort.signal);
  {
    using stalled = await connect(server);
    await stalled.send({ declared: CHUNK_BYTES, body: floatBytes(9, 9) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    abort.abort(new Error("gave up"));
    await assert.rejects(taken, /gave up/);
    // The read into the taker's memory ends with the connection.
    await stalled.closed();
  }
  const again = server.mailbox.takeInto(1, key, memory.subarray(1, 5));
  using client = await connect(server);
  await client.send({ body: floatBytes(1, 2, 3, 4) });
  assert.equal((await client.reply()).status, 204);
  await again;
  assert.deepEqual(memory, Float32Array.of(0, 1, 2, 3, 4, 0));
});
