import assert from "node:assert/strict";
import { defaultTrainConfig } from "../../core/train/config.ts";
import { Coordinator } from "../../coordinator/job/coordinator.ts";
import { serveCoordinator } from "../../coordinator/job/coordinator_server.ts";
import type { Http1Limits } from "../../coordinator/transport/http1_server.ts";
import { SENDER_HEADER } from "../../coordinator/transport/ring_app.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";
import { RawClient, within } from "./raw_client.ts";

const token = "secret-token";
const CHUNK = `PUT /v1/ring/1/0/0 HTTP/1.1\r\nhost: t\r\nauthorization: Bearer ${token}\r\n` +
  `${SENDER_HEADER}: 0\r\ncontent-length: 16\r\n\r\n`;
const BODY = new Uint8Array(16);

function ring(limits: Partial<Http1Limits> = {}) {
  const server = serveRing({ token, chunkLengthFor: () => 4, limits, log: () => {} });
  return Object.assign(server, {
    port: Number(new URL(server.url).port),
    [Symbol.asyncDispose]: () => server.shutdown(),
  });
}

/** Sends `request` on a fresh connection; the statuses answered and whether it closed in time. */
async function exchange(port: number, request: string | Uint8Array, ms = 2000) {
  const client = await RawClient.open(port);
  await client.write(request);
  const closed = await within(client.closed, ms);
  client.close();
  return { statuses: client.statuses, closed };
}

Deno.test("malformed requests to a ring port and the coordinator are answered and closed at once", async () => {
  await using server = ring();
  const job = new Coordinator({ world: 1, config: defaultTrainConfig, out: "unused" });
  const coordinator = serveCoordinator(job, { token, log: () => {} });
  const heartbeat = `POST /v1/heartbeat HTTP/1.1\r\nhost: t\r\nauthorization: Bearer ${token}\r\n`;
  const cases: [string, string, number][] = [
    ["bare LF line endings", "GET /health HTTP/1.1\nhost: t\n\n", 400],
    ["bare LF after a CRLF line", "GET /health HTTP/1.1\r\nhost: t\n\r\n", 400],
    ["a bad request line", "GARBAGE\r\n\r\n", 400],
    ["a target without a slash", "GET health HTTP/1.1\r\n\r\n", 400],
    ["an oversize head", `GET / HTTP/1.1\r\nx: ${"a".repeat(20_000)}\r\n\r\n`, 431],
    ["a negative content-length", "PUT / HTTP/1.1\r\ncontent-length: -5\r\n\r\n", 400],
    [
      "two content-lengths",
      "PUT / HTTP/1.1\r\ncontent-length: 4\r\ncontent-length: 8\r\n\r\n",
      400,
    ],
    ["a chunked body", "PUT / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n", 501],
    ["a header line without a colon", "GET / HTTP/1.1\r\nno colon\r\n\r\n", 400],
  ];
  try {
    for (const [what, request, status] of cases) {
      for (const port of [server.port, coordinator.port]) {
        assert.deepEqual(await exchange(port, request), { statuses: [status], closed: true }, what);
      }
    }
    // The coordinator refuses a body over its limit from the declared length, unread.
    const huge = await exchange(coordinator.port, `${heartbeat}content-length: 99999999\r\n\r\n`);
    assert.deepEqual(huge, { statuses: [413], closed: true });
    // A ring chunk whose declared length is not the chunk's is refused unread too.
    const long = await exchange(server.port, CHUNK.replace("16", "99999999"));
    assert.deepEqual(long, { statuses: [413], closed: true });
    assert.equal(server.mailbox.pending, 0);
  } finally {
    job.close();
    await coordinator.shutdown();
  }
});

Deno.test("silent, idle, trickling and stalled clients are closed after their deadlines", async () => {
  const deadline = 300;
  await using server = ring({
    idleTimeoutMs: deadline,
    headTimeoutMs: deadline,
    bodyTimeoutMs: deadline,
    minBytesPerSecond: 1e6,
  });
  const started = performance.now();
  const silent = await RawClient.open(server.port);
  const trickling = await RawClient.open(server.port);
  const trickled = trickling.trickle(
    `GET /health HTTP/1.1\r\nx-pad: ${"a".repeat(200)}\r\n\r\n`,
    20,
  );
  const stalled = await RawClient.open(server.port);
  await stalled.write(CHUNK);
  await stalled.write(BODY.subarray(0, 4));
  const idle = await RawClient.open(server.port);
  await idle.write(CHUNK);
  await idle.write(BODY);
  const clients = { silent, trickling, stalled, idle };
  for (const [name, client] of Object.entries(clients)) {
    const ms = (await client.closed) - started;
    assert.ok(ms >= deadline * 0.9 && ms < deadline + 1000, `${name} closed after ${ms} ms`);
  }
  assert.equal(await trickled, false, "the trickled head was cut off");
  assert.deepEqual(idle.statuses, [204]);
  assert.deepEqual([silent.text, trickling.text, stalled.text], ["", "", ""]);
  assert.equal(server.stats().expired, 4);
  // Only the idle client's whole chunk was delivered; the stalled one left nothing.
  assert.equal(server.mailbox.pending, 1);
});

Deno.test("the coordinator closes silent, idle and stalled clients after their deadlines too", async () => {
  const deadline = 300;
  const job = new Coordinator({ world: 1, config: defaultTrainConfig, out: "unused" });
  const limits = { idleTimeoutMs: deadline, headTimeoutMs: deadline, bodyTimeoutMs: deadline };
  const server = serveCoordinator(job, { token, limits, log: () => {} });
  try {
    const started = performance.now();
    const silent = await RawClient.open(server.port);
    const idle = await RawClient.open(server.port);
    await idle.write("GET /health HTTP/1.1\r\nhost: t\r\n\r\n");
    const stalled = await RawClient.open(server.port);
    await stalled.write(
      `POST /v1/heartbeat HTTP/1.1\r\nhost: t\r\nauthorization: Bearer ${token}\r\n` +
        'content-length: 30\r\n\r\n{"rank"',
    );
    for (const [name, client] of Object.entries({ silent, idle, stalled })) {
      const ms = (await client.closed) - started;
      assert.ok(ms >= deadline * 0.9 && ms < deadline + 1000, `${name} closed after ${ms} ms`);
    }
    assert.deepEqual([silent.statuses, idle.statuses, stalled.statuses], [[], [200], []]);
    assert.equal(server.stats().expired, 3);
  } finally {
    job.close();
    await server.shutdown();
  }
});

Deno.test("beyond the connection cap, newcomers displace idle clients without the token, never the job's", async () => {
  await using server = ring({ maxConnections: 4 });
  const strangers = await Promise.all([1, 2, 3, 4].map(() => RawClient.open(server.port)));
  // A peer with the token gets in: the longest-open stranger makes room.
  const peers: RawClient[] = [];
  for (let chunk = 0; chunk < 4; chunk++) {
    const peer = await RawClient.open(server.port);
    await peer.write(CHUNK.replace("/1/0/0", `/1/0/${chunk}`));
    await peer.write(BODY);
    peers.push(peer);
  }
  await Promise.all(strangers.map((s) => s.closed));
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.deepEqual(peers.map((p) => p.statuses), [[204], [204], [204], [204]]);
  // Every place is held by the job: one more is closed at once, with no answer.
  const late = await RawClient.open(server.port);
  assert.ok(await within(late.closed, 1000), "refused at once");
  assert.equal(late.text, "");
  assert.deepEqual(server.stats(), { open: 4, accepted: 9, refused: 1, evicted: 4, expired: 0 });
  for (const peer of peers) peer.close();
  assert.equal(server.mailbox.pending, 4);
});

Deno.test("out of file descriptors (ulimit -n 64), a ring endpoint keeps serving and logs it once", async () => {
  const child = new Deno.Command("bash", {
    args: [
      "-c",
      `ulimit -n 64 && exec "$0" run -A "$1"`,
      Deno.execPath(),
      new URL("./ring_server_child.ts", import.meta.url).pathname,
    ],
    env: { GRADMESH_TOKEN: token, NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number(new URL((await lines.read()).value!.trim()).port);
  const flood: RawClient[] = [];
  try {
    for (let i = 0; i < 200; i++) flood.push(await RawClient.open(port));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const peer = await RawClient.open(port);
    await peer.write(CHUNK);
    await peer.write(BODY);
    for (let i = 0; i < 50 && peer.statuses.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(peer.statuses, [204]);
    peer.close();
  } finally {
    for (const c of flood) c.close();
    await child.stdin.close();
  }
  const errors = await new Response(child.stderr).text();
  const rest = await lines.read();
  assert.equal((await child.status).code, 0, errors);
  assert.match(rest.value ?? "", /delivered 1/);
  const logged = errors.trim().split("\n");
  assert.equal(logged.length, 1, errors);
  assert.match(
    logged[0],
    /^ring endpoint http:\/\/127\.0\.0\.1:\d+: out of file descriptors \(EMFILE\)/,
  );
});
