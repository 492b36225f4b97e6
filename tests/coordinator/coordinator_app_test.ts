import assert from "node:assert/strict";
import { defaultTrainConfig } from "../../core/train/config.ts";
import { Coordinator, type CoordinatorOptions } from "../../coordinator/job/coordinator.ts";
import { coordinatorApp } from "../../coordinator/job/coordinator_app.ts";
import { CoordinatorClient } from "../../coordinator/job/coordinator_client.ts";
import { serveCoordinator } from "../../coordinator/job/coordinator_server.ts";
import { MeshError } from "../../coordinator/transport/errors.ts";
import { CoordinatorError, RendezvousError } from "../../coordinator/job/job_errors.ts";
import { LinkMismatchError } from "../../coordinator/job/link_mismatch.ts";
import type { JobStatus, JoinReply } from "../../coordinator/job/wire.ts";

const TOKEN = "test-token-0123456789";
const config = { ...defaultTrainConfig, model: "784-8-10" };

/** A coordinator of `world` ranks behind its app, closed by `using`. */
function job(world: number, options: Partial<CoordinatorOptions> = {}) {
  const coordinator = new Coordinator({ world, config, out: "runs/test", ...options });
  const app = coordinatorApp(coordinator, { token: TOKEN, maxBodyBytes: 1024 });
  const call = async (path: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const init: RequestInit = body === undefined
      ? { method: "GET", headers }
      : { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) };
    const res = await app.request(path, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const status = async () => (await call("/v1/status")).body as JobStatus;
  return {
    coordinator,
    call,
    status,
    [Symbol.dispose]: () => coordinator.close(),
  };
}

const offer = (host: string, rank?: number) => ({
  host,
  ringUrl: `http://${host}:4000`,
  adapter: "test adapter",
  ...(rank === undefined ? {} : { rank }),
});

Deno.test("coordinator app: /health needs no token; every /v1 route refuses a wrong or missing one", async () => {
  using j = job(2);
  assert.deepEqual(await j.call("/health"), { status: 200, body: { ok: true } });
  const routes: [string, unknown][] = [
    ["/v1/join", offer("10.0.0.1")],
    ["/v1/heartbeat", { rank: 0, step: 1 }],
    ["/v1/metrics", {}],
    ["/v1/fail", { rank: 0, message: "x" }],
    ["/v1/done", { rank: 0 }],
    ["/v1/status", undefined],
  ];
  for (const [path, body] of routes) {
    for (const token of [null, "wrong-token-0123456789", `${TOKEN}x`, ""]) {
      const res = await j.call(path, body, token);
      assert.equal(res.status, 401, `${path} with token ${token}`);
    }
  }
  const status = await j.status();
  assert.equal(status.joined, 0);
  assert.equal(status.phase, "rendezvous");
});

Deno.test("coordinator app: oversized bodies are 413, malformed ones 400, and neither changes anything", async () => {
  using j = job(2);
  const huge = { ...offer("10.0.0.1"), adapter: "x".repeat(2000) };
  assert.equal((await j.call("/v1/join", huge)).status, 413);
  const bad: unknown[] = [
    "{not json",
    "[1, 2]",
    { ringUrl: "http://10.0.0.1:4000", adapter: "a" },
    { ...offer("10.0.0.1"), ringUrl: "ftp://10.0.0.1/" },
    { ...offer("10.0.0.1"), rank: -1 },
    { ...offer("10.0.0.1"), rank: 1.5 },
    { ...offer("10.0.0.1"), rank: 2 },
    { ...offer("10.0.0.1"), host: "" },
  ];
  for (const body of bad) {
    const res = await j.call("/v1/join", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.equal(typeof res.body.error, "string");
  }
  assert.match((await j.call("/v1/join", { ...offer("a"), rank: "1" })).body.error, /^rank: /);
  assert.equal((await j.call("/v1/heartbeat", { rank: 0 })).status, 400);
  assert.equal((await j.call("/v1/heartbeat", { rank: 5, step: 1 })).status, 400);
  // Well-formed, but rank 0 has not joined yet.
  assert.equal((await j.call("/v1/heartbeat", { rank: 0, step: 1 })).status, 409);
  assert.equal((await j.call("/v1/fail", { rank: 0 })).status, 400);
  const status = await j.status();
  assert.equal(status.joined, 0);
  assert.equal(status.phase, "rendezvous");
  assert.equal(status.error, null);
});

Deno.test("coordinator app: the rendezvous answers nobody until the world is complete, then assigns ranks in join order", async () => {
  using j = job(3, { runId: "run-1" });
  const first = j.call("/v1/join", offer("10.0.0.1"));
  const second = j.call("/v1/join", offer("10.0.0.2"));
  let answered = false;
  first.then(() => answered = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(answered, false);
  assert.equal((await j.status()).joined, 2);
  const third = j.call("/v1/join", offer("10.0.0.3"));
  const replies = (await Promise.all([first, second, third])).map((r) => {
    assert.equal(r.status, 200);
    return r.body as JoinReply;
  });
  assert.deepEqual(replies.map((r) => r.rank), [0, 1, 2]);
  for (const r of replies) {
    assert.equal(r.world, 3);
    assert.deepEqual(r.peers, [
      "http://10.0.0.1:4000",
      "http://10.0.0.2:4000",
      "http://10.0.0.3:4000",
    ]);
    assert.deepEqual(r.config, config);
    assert.equal(r.out, "runs/test");
    assert.equal(r.runId, "run-1");
    assert.equal(r.settings.heartbeatTimeoutMs, 10_000);
    assert.equal(r.members[2].host, "10.0.0.3");
  }
  assert.equal((await j.status()).phase, "training");
  const late = await j.call("/v1/join", offer("10.0.0.4"));
  assert.equal(late.status, 409);
  assert.match(late.body.error, /the rendezvous is over: the job is training/);
});

Deno.test("coordinator app: requested ranks (torchrun RANK) are honoured; the others fill the gaps; a taken rank is 409", async () => {
  using j = job(3);
  const a = j.call("/v1/join", offer("10.0.0.1"));
  const b = j.call("/v1/join", offer("10.0.0.2", 0));
  await new Promise((r) => setTimeout(r, 10));
  const taken = await j.call("/v1/join", offer("10.0.0.9", 0));
  assert.equal(taken.status, 409);
  assert.match(
    taken.body.error,
    /rank 0 requested by host 10\.0\.0\.9 is already taken by host 10\.0\.0\.2/,
  );
  assert.equal((await j.status()).joined, 2);
  const c = j.call("/v1/join", offer("10.0.0.3", 2));
  const [ra, rb, rc] = (await Promise.all([a, b, c])).map((r) => r.body as JoinReply);
  assert.deepEqual([ra.rank, rb.rank, rc.rank], [1, 0, 2]);
  assert.deepEqual(ra.peers, [
    "http://10.0.0.2:4000",
    "http://10.0.0.1:4000",
    "http://10.0.0.3:4000",
  ]);
});

Deno.test("coordinator app: a worker that joins again replaces its earlier join", async () => {
  using j = job(2);
  const first = j.call("/v1/join", offer("10.0.0.1"));
  await new Promise((r) => setTimeout(r, 10));
  const again = j.call("/v1/join", offer("10.0.0.1"));
  const superseded = await first;
  assert.equal(superseded.status, 409);
  assert.match(superseded.body.error, /superseded by a new join from http:\/\/10\.0\.0\.1:4000/);
  assert.equal((await j.status()).joined, 1);
  const other = j.call("/v1/join", offer("10.0.0.2"));
  assert.deepEqual((await Promise.all([again, other])).map((r) => r.body.rank), [0, 1]);
});

Deno.test("coordinator: a rendezvous that times out fails the job and names the missing ranks", async () => {
  using j = job(4, { rendezvousTimeoutMs: 100 });
  const a = j.call("/v1/join", offer("10.0.0.1", 2));
  const b = j.call("/v1/join", offer("10.0.0.2"));
  const error = await j.coordinator.settled;
  assert.ok(error instanceof RendezvousError);
  assert.deepEqual(error.missing, [1, 3]);
  assert.equal(
    error.message,
    "rendezvous timed out after 0.1 s: ranks 1, 3 of 4 never joined " +
      "(joined: rank 0 (host 10.0.0.2), rank 2 (host 10.0.0.1))",
  );
  for (const res of await Promise.all([a, b])) {
    assert.equal(res.status, 409);
    assert.match(res.body.error, /ranks 1, 3 of 4 never joined/);
  }
  const status = await j.status();
  assert.equal(status.phase, "failed");
  assert.match(status.error!, /never joined/);
});

async function trainingJob(world: number, options: Partial<CoordinatorOptions> = {}) {
  const j = job(world, options);
  const hosts = Array.from({ length: world }, (_, r) => `10.0.0.${r + 1}`);
  await Promise.all(hosts.map((h, r) => j.call("/v1/join", offer(h, r))));
  return j;
}

Deno.test("coordinator: a rank without heartbeats for the timeout fails the job, naming rank, host and last step", async () => {
  using j = await trainingJob(3, { settings: { heartbeatTimeoutMs: 150 } });
  const beats = setInterval(() => {
    j.call("/v1/heartbeat", { rank: 0, step: 40 });
    j.call("/v1/heartbeat", { rank: 1, step: 41 });
  }, 20);
  await j.call("/v1/heartbeat", { rank: 2, step: 37 });
  const started = performance.now();
  const error = await j.coordinator.settled;
  const waited = performance.now() - started;
  clearInterval(beats);
  assert.ok(error instanceof MeshError);
  assert.equal(error.rank, 2);
  assert.equal(error.host, "10.0.0.3");
  assert.equal(error.step, 37);
  assert.match(
    error.message,
    /^rank 2 \(10\.0\.0\.3\), step 37: stopped responding: no heartbeat for 0\.\d s$/,
  );
  assert.ok(waited >= 140 && waited < 2000, `failed after ${waited} ms`);
  const reply = await j.call("/v1/heartbeat", { rank: 0, step: 41 });
  assert.deepEqual(reply, { status: 200, body: { abort: error.message } });
});

Deno.test("coordinator: done from every rank ends the job; metrics and the final result show in the status", async () => {
  using j = await trainingJob(2);
  const train = { loss: 0.5, accuracy: 0.8, entropy: 1.5, count: 64 };
  const test = { loss: 0.4, accuracy: 0.85, entropy: 1.25, count: 100 };
  const epoch = { epoch: 1, train, test, seconds: 1.5 };
  assert.equal((await j.call("/v1/metrics", { rank: 0, epoch })).status, 204);
  assert.equal((await j.call("/v1/heartbeat", { rank: 1, step: 12 })).body.abort, null);
  assert.equal((await j.call("/v1/done", { rank: 1 })).status, 204);
  assert.equal((await j.status()).phase, "training");
  const final = { loss: 0.3, accuracy: 0.9, entropy: 0.5, count: 100 };
  assert.equal((await j.call("/v1/done", { rank: 0, final })).status, 204);
  assert.equal(await j.coordinator.settled, null);
  const status = await j.status();
  assert.equal(status.phase, "done");
  assert.deepEqual(status.epochs, [epoch]);
  assert.deepEqual(status.final, final);
  assert.deepEqual(status.members.map((m) => [m.rank, m.host, m.step, m.done]), [
    [0, "10.0.0.1", 0, true],
    [1, "10.0.0.2", 12, true],
  ]);
});

Deno.test("coordinator: a rank's failure report fails the job with its rank, host and step", async () => {
  using j = await trainingJob(2);
  const res = await j.call("/v1/fail", { rank: 1, step: 9, message: "out of memory" });
  assert.equal(res.status, 204);
  const error = await j.coordinator.settled;
  assert.ok(error instanceof MeshError);
  assert.equal(error.message, "rank 1 (10.0.0.2), step 9: out of memory");
  // A second report changes nothing: the first failure is the job's.
  await j.call("/v1/fail", { rank: 0, step: 9, message: "peer gone" });
  assert.equal((await j.status()).error, error.message);
});

Deno.test("coordinator over a socket: the client joins, beats and reports; a wrong token is a CoordinatorError", async () => {
  const coordinator = new Coordinator({ world: 1, config, out: "runs/x" });
  const server = serveCoordinator(coordinator, { token: TOKEN });
  try {
    const wrong = new CoordinatorClient(server.url, "some-other-token-123");
    await assert.rejects(
      wrong.join(offer("127.0.0.1"), 1000),
      (e: unknown) =>
        e instanceof CoordinatorError && /refused the job token \(HTTP 401\)/.test(e.message),
    );
    const client = new CoordinatorClient(server.url, TOKEN);
    const reply = await client.join(offer("127.0.0.1"), 1000);
    assert.equal(reply.rank, 0);
    assert.deepEqual(await client.heartbeat({ rank: 0, step: 3 }, 1000), { abort: null });
    await client.done({ rank: 0, final: null });
    assert.equal(await coordinator.settled, null);
  } finally {
    coordinator.close();
    await server.shutdown();
  }
});

Deno.test("coordinator: workers that announce different links are refused at the rendezvous, naming ranks and links, exit 2", async () => {
  const coordinator = new Coordinator({ world: 3, config, out: "runs/x" });
  const server = serveCoordinator(coordinator, { token: TOKEN });
  try {
    const links = ["tcp", "tcp", "http"];
    const joins = links.map((scheme, rank) =>
      new CoordinatorClient(server.url, TOKEN).join({
        ...offer(`10.0.0.${rank + 1}`, rank),
        ringUrl: `${scheme}://10.0.0.${rank + 1}:4000`,
      }, 5000).catch((e) => e)
    );
    const line = "rank 2 (10.0.0.3) offers http but rank 0 (10.0.0.1) offers native: " +
      "start every worker with the same --link";
    const error = await coordinator.settled;
    assert.ok(error instanceof LinkMismatchError, String(error));
    assert.equal(error.message, line);
    assert.equal(error.exitCode, 2);
    for (const refused of await Promise.all(joins)) {
      assert.ok(refused instanceof CoordinatorError, String(refused));
      assert.ok(refused.message.endsWith(line), refused.message);
      assert.equal(refused.exitCode, 2);
    }
    assert.equal(coordinator.phase, "failed");
  } finally {
    coordinator.close();
    await server.shutdown();
  }
});

Deno.test("coordinator: workers on one link start; other refusals still exit 1", async () => {
  using j = job(2);
  const joined = await Promise.all(
    [0, 1].map((rank) =>
      j.call("/v1/join", { ...offer(`10.0.0.${rank + 1}`, rank), ringUrl: `tcp://h${rank}:1` })
    ),
  );
  assert.deepEqual(joined.map((r) => r.status), [200, 200]);
  const late = await j.call("/v1/join", offer("10.0.0.9"));
  assert.equal(late.status, 409);
  assert.equal(late.body.exitCode, undefined);
});
