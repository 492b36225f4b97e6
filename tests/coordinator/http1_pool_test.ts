import assert from "node:assert/strict";
import { Http1Pool } from "../../coordinator/transport/http1_pool.ts";
import type { Http1Limits } from "../../coordinator/transport/http1_server.ts";
import { SENDER_HEADER } from "../../coordinator/transport/ring_app.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";

const token = "t";
const head = (chunk: number) =>
  new TextEncoder().encode(
    `PUT /v1/ring/1/0/${chunk} HTTP/1.1\r\nhost: a\r\nauthorization: Bearer ${token}\r\n` +
      `${SENDER_HEADER}: 0\r\ncontent-length: 16\r\n\r\n`,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A ring endpoint with `limits` and a one-connection pool to it that keeps idle ones `maxIdleMs`. */
function setup(limits: Partial<Http1Limits>, maxIdleMs: number) {
  const server = serveRing({ token, chunkLengthFor: () => 4, limits });
  const port = Number(new URL(server.url).port);
  const pool = new Http1Pool({
    hostname: "127.0.0.1",
    port,
    size: 1,
    connectRetryMs: 0,
    maxIdleMs,
  });
  const send = async (chunk: number) =>
    (await pool.request(head(chunk), new Uint8Array(16))).status;
  return {
    server,
    send,
    async [Symbol.asyncDispose]() {
      pool.close();
      await server.shutdown();
    },
  };
}

Deno.test("Http1Pool sends on a new connection when the server closed the idle one", async () => {
  // The server closes connections idle for 100 ms; the pool would keep them for a minute.
  await using job = setup({ idleTimeoutMs: 100 }, 60_000);
  assert.equal(await job.send(0), 204);
  await sleep(400);
  assert.equal(job.server.stats().expired, 1);
  assert.equal(await job.send(1), 204);
  assert.equal(job.server.mailbox.pending, 2);
});

Deno.test("Http1Pool gives up a connection idle longer than maxIdleMs before the server does", async () => {
  await using job = setup({}, 50);
  assert.equal(await job.send(0), 204);
  assert.equal(await job.send(1), 204);
  await sleep(150);
  assert.equal(await job.send(2), 204);
  // Two connections in all: the first carried two requests, then aged out.
  assert.equal(job.server.stats().accepted, 2);
  assert.equal(job.server.mailbox.pending, 3);
});
