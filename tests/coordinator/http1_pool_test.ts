import assert from "node:assert/strict";
import { Http1Pool } from "../../coordinator/http1_pool.ts";
import { SENDER_HEADER } from "../../coordinator/ring_app.ts";
import { serveRing } from "../../coordinator/ring_server.ts";

const token = "t";
const head = (chunk: number) =>
  new TextEncoder().encode(
    `PUT /v1/ring/1/0/${chunk} HTTP/1.1\r\nhost: a\r\nauthorization: Bearer ${token}\r\n` +
      `${SENDER_HEADER}: 0\r\ncontent-length: 16\r\n\r\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("Http1Pool sends on a new connection when the server closed the idle one", async () => {
  // The server closes connections idle for 100 ms; the pool would keep them for a minute.
  const server = serveRing({
    token,
    chunkLengthFor: () => 4,
    limits: { idleTimeoutMs: 100 },
  });
  const port = Number(new URL(server.url).port);
  const pool = new Http1Pool({
    hostname: "127.0.0.1",
    port,
    size: 1,
    connectRetryMs: 0,
    maxIdleMs: 60_000,
  });
  try {
    assert.equal((await pool.request(head(0), new Uint8Array(16))).status, 204);
    await sleep(400);
    assert.equal(server.stats().expired, 1);
    assert.equal((await pool.request(head(1), new Uint8Array(16))).status, 204);
    assert.equal(server.mailbox.pending, 2);
  } finally {
    pool.close();
    await server.shutdown();
  }
});

Deno.test("Http1Pool gives up a connection idle longer than maxIdleMs before the server does", async () => {
  const server = serveRing({ token, chunkLengthFor: () => 4 });
  const port = Number(new URL(server.url).port);
  const pool = new Http1Pool({
    hostname: "127.0.0.1",
    port,
    size: 1,
    connectRetryMs: 0,
    maxIdleMs: 50,
  });
  try {
    assert.equal((await pool.request(head(0), new Uint8Array(16))).status, 204);
    assert.equal((await pool.request(head(1), new Uint8Array(16))).status, 204);
    await sleep(150);
    assert.equal((await pool.request(head(2), new Uint8Array(16))).status, 204);
    await sleep(50);
    // Two connections in all: the first carried two requests, then aged out.
    assert.equal(server.stats().accepted, 2);
    assert.equal(server.mailbox.pending, 3);
  } finally {
    pool.close();
    await server.shutdown();
  }
});
