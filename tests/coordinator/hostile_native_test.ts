/**
 * A live 2-worker job on the native link (the default where it loads) under hostile
 * clients on both ring ports: garbage and false handshakes, frames that break every rule,
 * handshakes that never finish, and a flood of idle connections. Each connection must be
 * answered or closed within its deadline, the job must train exactly as an undisturbed
 * one, and the workers' memory must stay bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { encodeHello, HELLO_BYTES } from "../../coordinator/transport/native_frame.ts";
import { HANDSHAKE_TIMEOUT_MS, MAX_HANDSHAKES } from "../../coordinator/transport/native_server.ts";
import { nativeLinkUnavailable } from "../../coordinator/transport/native_link.ts";
import { needsClusterCommands } from "./job_fixtures.ts";
import { concat, frameHead, RawClient, within } from "./raw_client.ts";

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

/**
 * How long the fuzzer sends: its job trains some 1,000 steps a second, each of which the
 * one-process reference repeats (thousands of connections still go by).
 */
const NATIVE_FUZZ_MS = 1500;

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
