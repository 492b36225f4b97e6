/**
 * A live 2-worker job under hostile clients: garbage, truncated, bit-flipped and
 * wrongly-sized requests and slow clients on every HTTP port (the coordinator and both
 * ring endpoints), then thousands of idle connections (the native link's ports:
 * hostile_native_test.ts). Each request
 * must be answered or closed within its deadline, the job must train exactly as an
 * undisturbed one, and the workers' memory must stay bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { COORDINATOR_MAX_CONNECTIONS } from "../../coordinator/job/coordinator_server.ts";
import { DEFAULT_HTTP1_LIMITS } from "../../coordinator/transport/http1_server.ts";
import { SENDER_HEADER } from "../../coordinator/transport/ring_app.ts";
import { needsClusterCommands } from "./job_fixtures.ts";
import { RawClient, within } from "./raw_client.ts";

import {
  assertTrainedCorrectly,
  dir,
  random,
  rssMiB,
  sentWhole,
  startTraining,
  token,
  WORKER_RSS_BOUND_MIB,
} from "./hostile_job.ts";

/** How long the fuzzer sends requests. */
const FUZZ_MS = 4000;

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
