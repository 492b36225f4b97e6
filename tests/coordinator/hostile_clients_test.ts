/**
 * A live 2-worker job under hostile clients: garbage, truncated, bit-flipped and
 * wrongly-sized requests and slow clients on every HTTP port (the coordinator and both
 * ring endpoints), then thousands of idle connections; and the same on the native link's
 * ring ports (the default where it loads): garbage and false handshakes, frames that break
 * every rule, handshakes that never finish, and a flood of idle connections. Each request
 * must be answered or closed within its deadline, the job must train exactly as an
 * undisturbed one, and the workers' memory must stay bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { loadDataset } from "../../core/data/source.ts";
import { defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import { type LocalJob, startLocalJob } from "../../cli/local_job.ts";
import { COORDINATOR_MAX_CONNECTIONS } from "../../coordinator/job/coordinator_server.ts";
import { DEFAULT_HTTP1_LIMITS } from "../../coordinator/transport/http1_server.ts";
import type { LinkChoice } from "../../coordinator/transport/link_choice.ts";
import { encodeHello, HELLO_BYTES } from "../../coordinator/transport/native_frame.ts";
import { HANDSHAKE_TIMEOUT_MS, MAX_HANDSHAKES } from "../../coordinator/transport/native_server.ts";
import { nativeLinkUnavailable } from "../../coordinator/transport/native_link.ts";
import { SENDER_HEADER } from "../../coordinator/transport/ring_app.ts";
import { needsClusterCommands, relativeError, waitFor, writeDigits } from "./job_fixtures.ts";
import { concat, frameHead, RawClient, within } from "./raw_client.ts";

const STEPS = 50;
const BATCH = 32;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-hostile-" });
const spec = await writeDigits(dir, STEPS * BATCH, 200);
const config: TrainConfig = {
  ...defaultTrainConfig,
  data: spec,
  model: "784-16-10",
  // Far longer than any attack takes: the job is still training when it is stopped (on the
  // native link, 200 epochs take about 10 s).
  epochs: 5000,
  batchSize: BATCH,
  seed: 3,
};
const token = "hostile-test-token";
/** How long the fuzzer sends requests. */
const FUZZ_MS = 4000;
/**
 * The same on the native link, shorter: its job trains some 1,000 steps a second, each of
 * which the one-process reference repeats (thousands of connections still go by).
 */
const NATIVE_FUZZ_MS = 1500;
/** Resident memory a worker may reach while under attack (a clean run sits near 150 MiB). */
const WORKER_RSS_BOUND_MIB = 400;

/** Parameters of one process training `config` for `steps` steps (null: to the end). */
async function reference(steps: number | null): Promise<Float32Array> {
  const data = await loadDataset(spec, { cache: false });
  let taken = 0;
  const options = {
    checkpointPath: null,
    metricsPath: null,
    evalEvery: 100,
    logEvery: 50,
    stopRequested: () => ++taken === steps,
  };
  const { trainer, stoppedAt } = await fitConfig(config, createCpuBackend(), data, options);
  assert.equal(stoppedAt, steps);
  return await trainer.flat.backend.read(trainer.flat.params);
}

/** Parameters of the checkpoint in `out`, flattened in order. */
async function checkpointParams(out: string): Promise<Float32Array> {
  const { params } = await loadCheckpoint(`${out}/checkpoint.safetensors`);
  const flat = new Float32Array(params.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of params) {
    flat.set(t.data, at);
    at += t.data.length;
  }
  return flat;
}

/** Resident memory of process `pid` in MiB (Linux), or 0 once it is gone. */
async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The TCP port process `pid` listens on (Linux): its ring endpoint, for a worker. */
async function listeningPort(pid: number): Promise<number> {
  const inodes = new Set<string>();
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const table = await Deno.readTextFile(`/proc/${pid}/net/tcp`);
  for (const line of table.trim().split("\n").slice(1)) {
    const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
    if (state === "0A" && inodes.has(inode)) return parseInt(local.split(":")[1], 16);
  }
  throw new Error(`process ${pid} listens on no TCP port`);
}

/** Starts the job on `link` and waits until both ranks train; the ports of every endpoint. */
async function startTraining(out: string, link: LinkChoice = "http") {
  const job = startLocalJob(config, {
    workers: 2,
    // The reference backend, as the one-process run compared against: at its pace the job
    // is still training while the flood and the fuzzer are at work.
    backend: "cpu-ref",
    link,
    out,
    token,
    rank0Output: () => {},
    settings: { logEvery: 10, checksumEvery: 10 },
  });
  job.finished.catch(() => {});
  await waitFor("training", () => job.status().members.some((m) => m.step > 0), 60_000);
  // Rank r is the worker started r-th.
  const ports: Record<string, number> = {
    coordinator: Number(new URL(job.coordinatorUrl).port),
    "rank 0": await listeningPort(job.pids[0]),
    "rank 1": await listeningPort(job.pids[1]),
  };
  return { job, ports };
}

/**
 * Stops the job once the attack is over (it would train on for tens of seconds): it
 * succeeds, and its checkpoint at the step where it stopped is exactly what one process
 * reaches in as many steps.
 */
async function assertTrainedCorrectly(job: LocalJob, out: string) {
  job.stop();
  await job.finished;
  const { phase, stoppedAt } = job.status();
  assert.equal(phase, "done");
  const error = relativeError(await checkpointParams(out), await reference(stoppedAt));
  assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)} at step ${stoppedAt}`);
}

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const encoder = new TextEncoder();

/**
 * Requests worth garbling. None can change the job: ring chunks carry a wrong token or a
 * step far beyond any the job reaches, and coordinator requests a wrong token or only read.
 */
const templates = [
  "GET /health HTTP/1.1\r\nhost: x\r\n\r\n",
  `GET /v1/status HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`,
  "POST /v1/heartbeat HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong\r\n" +
  'content-length: 22\r\n\r\n{"rank": 0, "step": 1}',
  `PUT /v1/ring/99999999/0/0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n` +
  `${SENDER_HEADER}: 0\r\ncontent-length: 16\r\n\r\n${"\0".repeat(16)}`,
  `PUT /v1/ring/1/0/0 HTTP/1.1\r\nhost: x\r\nauthorization: Bearer not-it\r\n` +
  `${SENDER_HEADER}: 1\r\ncontent-length: 16\r\n\r\n${"\0".repeat(16)}`,
].map((t) => encoder.encode(t));

/** One hostile request: random bytes, or a template cut short, bit-flipped or mis-sized. */
function hostileRequest(next: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const template = pick(templates);
  switch (pick(["random", "truncated", "flipped", "length"])) {
    case "random":
      return Uint8Array.from({ length: 1 + Math.floor(next() * 3000) }, () => next() * 256);
    case "truncated":
      return template.slice(0, Math.floor(next() * template.length));
    case "flipped": {
      const bytes = template.slice();
      for (let i = 0; i < 1 + next() * 3; i++) {
        bytes[Math.floor(next() * bytes.length)] ^= 1 << Math.floor(next() * 8);
      }
      return bytes;
    }
    default: {
      const text = new TextDecoder().decode(template);
      const length = pick(["0", "1", "17", "4294967296", "99999999999999", "-1", "1e3", ""]);
      const sized = text.includes("content-length")
        ? text.replace(/content-length: \d+/, `content-length: ${length}`)
        : text.replace("\r\n\r\n", `\r\ncontent-length: ${length}\r\n\r\n`);
      return encoder.encode(sized);
    }
  }
}

/**
 * Sends `bytes` on a new connection to `port` and half-closes it: everything the server
 * will get was sent, so it must answer or close at once. Whether it closed within 2 s, or
 * `null` when the connection could not be made.
 */
async function sentWhole(port: number, bytes: Uint8Array): Promise<boolean | null> {
  const client = await RawClient.open(port).catch(() => null);
  if (!client) return null;
  await client.write(bytes);
  await client.end();
  const closed = await within(client.closed, 2000);
  client.close();
  return closed;
}

/**
 * A whole request that breaks the framing rules, sent without closing our side: the
 * server must answer it (4xx) and close at once, not wait for more.
 */
function malformedRequest(next: () => number): Uint8Array {
  const text = new TextDecoder().decode(templates[Math.floor(next() * templates.length)]);
  const kinds = [
    text.replaceAll("\r\n", "\n"),
    text.replace("HTTP/1.1", "HTTP/1.1 extra"),
    text.replace("\r\n", `\r\nx-big: ${"b".repeat(20_000)}\r\n`),
    text.replace("\r\n\r\n", "\r\ncontent-length: -1\r\n\r\n"),
  ];
  return encoder.encode(kinds[Math.floor(next() * kinds.length)]);
}

Deno.test({
  name:
    "hostile clients: fuzzed and slow requests on every port are answered or closed in time; the job trains as if alone",
  ...await needsClusterCommands(),
  async fn() {
    const errors: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    const out = `${dir}/fuzz`;
    try {
      const { job, ports } = await startTraining(out);
      const seed = Date.now() % 1_000_000;
      const next = random(seed);
      const rssBefore = await Promise.all(job.pids.map(rssMiB));
      // Slow clients: a head trickled a byte at a time is cut off at the head deadline (or
      // when the job ends first).
      const slow = await Promise.all(
        Object.values(ports).flatMap((port) => [0, 1].map(() => RawClient.open(port))),
      );
      const trickles = slow.map((c) =>
        c.trickle(`GET /health HTTP/1.1\r\nx-pad: ${"a".repeat(200)}\r\n\r\n`, 100)
      );
      const late: string[] = [];
      let sent = 0;
      const stopAt = performance.now() + FUZZ_MS;
      while (performance.now() < stopAt && job.status().phase === "training") {
        const batch = Object.entries(ports).map(async ([name, port]) => {
          const request = hostileRequest(next);
          const closed = await sentWhole(port, request);
          if (closed === null) return;
          sent++;
          if (!closed) {
            late.push(`${name}: ${JSON.stringify(new TextDecoder("latin1").decode(request))}`);
          }
          const broken = malformedRequest(next);
          const open = await RawClient.open(port).catch(() => null);
          if (!open) return;
          await open.write(broken);
          const refused = await within(open.closed, 2000) && open.statuses.length === 1 &&
            open.statuses[0] >= 400;
          if (!refused) {
            late.push(`${name}: ${JSON.stringify(new TextDecoder().decode(broken).slice(0, 200))}`);
          }
          open.close();
        });
        await Promise.all(batch);
      }
      const rssAfter = await Promise.all(job.pids.map(rssMiB));
      assert.deepEqual(late, [], `seed ${seed}: requests neither answered nor closed`);
      assert.ok(sent > 100, `only ${sent} requests sent`);
      for (const mib of rssAfter) {
        assert.ok(mib < WORKER_RSS_BOUND_MIB, `worker RSS ${mib} MiB, before ${rssBefore}`);
      }
      const headDeadline = DEFAULT_HTTP1_LIMITS.headTimeoutMs;
      const slowClosed = await Promise.all(slow.map((c) => within(c.closed, headDeadline + 3000)));
      assert.ok(slowClosed.every((x) => x), "slow clients cut off at the head deadline");
      assert.ok((await Promise.all(trickles)).every((done) => !done));
      await assertTrainedCorrectly(job, out);
      console.log(`seed ${seed}: ${sent} requests; worker RSS ${rssBefore} → ${rssAfter} MiB`);
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name:
    "hostile clients: 2,000 idle connections to rank 0's ring port and to the coordinator leave the job training",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/flood`;
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    console.warn = (line: string) => warnings.push(line);
    const flood: RawClient[] = [];
    try {
      const { job, ports } = await startTraining(out);
      for (const port of [ports["rank 0"], ports.coordinator]) {
        for (let i = 0; i < 2000; i += 100) {
          const opened = await Promise.all(
            Array.from({ length: 100 }, () => RawClient.open(port).catch(() => null)),
          );
          flood.push(...opened.filter((c) => c !== null));
        }
      }
      assert.equal(flood.length, 4000);
      // Each port keeps at most its cap open: the longest-open strangers were closed.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const closed = (clients: RawClient[]) =>
        Promise.all(clients.map((c) => within(c.closed, 0))).then((x) => x.filter(Boolean).length);
      assert.ok(await closed(flood.slice(0, 2000)) >= 2000 - DEFAULT_HTTP1_LIMITS.maxConnections);
      assert.ok(await closed(flood.slice(2000)) >= 2000 - COORDINATOR_MAX_CONNECTIONS);
      assert.equal(job.status().phase, "training", "the job outlived the flood's start");
      await assertTrainedCorrectly(job, out);
    } finally {
      for (const client of flood) client.close();
      console.warn = consoleWarn;
    }
    // The coordinator (in this process) logged reaching its cap once.
    assert.deepEqual(
      warnings.filter((w) => w.startsWith("coordinator")).map((w) => w.replace(/:\d+:/, ":P:")),
      [
        "coordinator http://127.0.0.1:P: 1024 connections open: newcomers displace idle ones " +
        "without the job token, or are refused",
      ],
    );
  },
});

/**
 * One hostile native connection's bytes, sent whole before a half close: garbage, a
 * handshake cut short, bit-flipped, with a wrong token or a rank not in the job, or one
 * with the token, as rank `rank` (connected already, or this rank itself), followed by
 * frames no plan expects (buckets and chunks that do not exist, absurd and overflowing
 * lengths and steps, a wrong magic, a header or body cut short). None can change the job:
 * every chunk it names is refused before its body is read, or is a step long gone.
 */
function hostileNative(next: () => number, rank: number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)];
  const noise = (n: number) => Uint8Array.from({ length: n }, () => next() * 256);
  const hello = encodeHello(rank, token);
  switch (pick(["random", "noise+hello", "truncated", "flipped", "token", "rank", "frames"])) {
    case "random":
      return noise(1 + Math.floor(next() * 3000));
    case "noise+hello":
      return concat(noise(1 + Math.floor(next() * 16)), hello);
    case "truncated":
      return hello.slice(0, Math.floor(next() * hello.length));
    case "flipped": {
      const bytes = hello.slice();
      bytes[Math.floor(next() * bytes.length)] ^= 1 << Math.floor(next() * 8);
      return bytes;
    }
    case "token":
      return encodeHello(rank, pick(["", "x", token.slice(1), `${token}!`, "t".repeat(1024)]));
    case "rank":
      return encodeHello(pick([2, 3, 1 << 20, 0xffffffff]), token);
    default: {
      const frames = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const bytes = pick([0, 1, 3, 4096, 0x7fffffff, 0xffffffff]);
        const head = pick([
          frameHead(0n, 1000 + Math.floor(next() * 1e6), 0, bytes), // no such bucket
          frameHead(1n, 0, 1000 + Math.floor(next() * 1e6), bytes), // no such chunk
          frameHead(0n, 0, 0, bytes), // a step long gone, a wrong length
          frameHead(1n << 63n, 0, 0, 64), // a step past any
          frameHead(0n, 0, 0, 16).map((b, i) => (i < 4 ? b ^ 0xff : b)), // no magic
        ]);
        return concat(head, noise(Math.floor(next() * 64)));
      });
      const all = concat(hello, ...frames);
      // Whole, or cut anywhere after the handshake (a header or a body short).
      return next() < 0.5 ? all : all.slice(0, hello.length + Math.floor(next() * 40));
    }
  }
}

Deno.test({
  name:
    "hostile clients on the native link: false handshakes, rule-breaking frames, slow handshakes and 2,000 idle connections on both ring ports; the job trains as if alone",
  ignore: (await needsClusterCommands()).ignore || nativeLinkUnavailable() !== undefined,
  async fn() {
    const out = `${dir}/native`;
    const flood: RawClient[] = [];
    const { job, ports } = await startTraining(out, "native");
    const ranks = { "rank 0": ports["rank 0"], "rank 1": ports["rank 1"] };
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    try {
      const rssBefore = await Promise.all(job.pids.map(rssMiB));
      // Handshakes that never finish, past the bound on each port: each is cut by the
      // deadline or, sooner, by a newcomer; the real peers, connected, train on.
      const slow = await Promise.all(
        Object.values(ranks).flatMap((port) =>
          Array.from({ length: MAX_HANDSHAKES + 4 }, () => RawClient.open(port))
        ),
      );
      const hello = new TextDecoder("latin1").decode(encodeHello(1, token));
      const trickles = slow.map((c) => c.trickle(hello, HANDSHAKE_TIMEOUT_MS / HELLO_BYTES));
      const late: string[] = [];
      let sent = 0;
      const stopAt = performance.now() + NATIVE_FUZZ_MS;
      while (performance.now() < stopAt && job.status().phase === "training") {
        await Promise.all(
          Object.entries(ranks).map(async ([name, port], self) => {
            // As the peer (connected already) or as this rank itself.
            const bytes = hostileNative(next, next() < 0.8 ? 1 - self : self);
            const closed = await sentWhole(port, bytes);
            if (closed === null) return;
            sent++;
            if (!closed) late.push(`${name}: ${[...bytes.slice(0, 64)]}`);
          }),
        );
      }
      assert.deepEqual(late, [], `seed ${seed}: connections neither answered nor closed`);
      assert.ok(sent > 100, `only ${sent} connections`);
      // Idle connections: at most MAX_HANDSHAKES stay open on a port (until the handshake
      // deadline, tested in native_link_test.ts); each newcomer past them cut the oldest,
      // the slow handshakes first.
      for (const port of Object.values(ranks)) {
        for (let i = 0; i < 2000; i += 100) {
          const opened = await Promise.all(
            Array.from({ length: 100 }, () => RawClient.open(port).catch(() => null)),
          );
          flood.push(...opened.filter((c) => c !== null));
        }
      }
      assert.equal(flood.length, 4000);
      const closed = async (clients: RawClient[]) =>
        (await Promise.all(clients.map((c) => within(c.closed, 0)))).filter(Boolean).length;
      const allCut = async () =>
        await closed(slow) === slow.length &&
        await closed(flood.slice(0, 2000)) === 2000 - MAX_HANDSHAKES &&
        await closed(flood.slice(2000)) === 2000 - MAX_HANDSHAKES;
      for (let i = 0; i < 30 && !await allCut(); i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(await closed(slow), slow.length, "slow handshakes cut");
      assert.ok((await Promise.all(trickles)).every((done) => !done));
      assert.equal(await closed(flood.slice(0, 2000)), 2000 - MAX_HANDSHAKES);
      assert.equal(await closed(flood.slice(2000)), 2000 - MAX_HANDSHAKES);
      const rssAfter = await Promise.all(job.pids.map(rssMiB));
      for (const mib of rssAfter) {
        assert.ok(mib < WORKER_RSS_BOUND_MIB, `worker RSS ${mib} MiB, before ${rssBefore}`);
      }
      assert.equal(job.status().phase, "training", "the job outlived the attack");
      await assertTrainedCorrectly(job, out);
      console.log(`seed ${seed}: ${sent} connections; worker RSS ${rssBefore} → ${rssAfter} MiB`);
    } finally {
      for (const client of flood) client.close();
      job.kill();
    }
  },
});
