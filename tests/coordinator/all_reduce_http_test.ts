/**
 * Every all-reduce algorithm and wire dtype over real HTTP links (one process, sockets on
 * 127.0.0.1), worlds 1–8: every rank ends with the same bits, the bits of the same run over
 * in-memory links, and each endpoint takes exactly the chunks the plan announces.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AllReducePlan } from "../../coordinator/transport/all_reduce.ts";
import type { ConcreteAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";
import { HttpLink } from "../../coordinator/transport/http_link.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";
import { newJobToken } from "../../coordinator/transport/token.ts";
import type { WireDtype } from "../../coordinator/transport/wire_dtype.ts";

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Ranks on three pretend hosts, unevenly: a, b, a, c, a, b, … */
const hosts = (world: number) => Array.from({ length: world }, (_, r) => "abac"[r % 4]);

const inputs = (world: number, length: number) =>
  Array.from(
    { length: world },
    (_, r) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + r) * 10 ** (r % 4 - 1)),
  );

/** The results of `plan` on every rank of `world`, over HTTP, for two steps in a row. */
async function overHttp(plan: AllReducePlan, world: number): Promise<Float32Array[]> {
  const token = newJobToken();
  const servers = Array.from(
    { length: world },
    (_, rank) =>
      serveRing({ token, chunkLengthFor: (k, from) => plan.chunkLength(rank, from, k.chunk) }),
  );
  const peers = servers.map((s) => s.url);
  const links = servers.map((s, rank) =>
    new HttpLink({ rank, peers, token, mailbox: s.mailbox, maxInFlight: 2 })
  );
  try {
    let data: Float32Array<ArrayBuffer>[] = [];
    for (const step of [0, 1]) {
      data = inputs(world, plan.length);
      await Promise.all(
        links.map((link, rank) => plan.run(link, rank, data[rank], { step, bucket: 0 })),
      );
    }
    for (const server of servers) {
      assert.equal(server.mailbox.pending, 0);
      assert.equal(server.stats().refused, 0);
    }
    return data;
  } finally {
    await Promise.all(links.map((link) => link.close()));
    await Promise.all(servers.map((server) => server.shutdown()));
  }
}

const cases: [ConcreteAlgorithm, WireDtype][] = [
  ["ring", "fp32"],
  ["tree", "fp32"],
  ["halving", "fp32"],
  ["hier", "fp32"],
  ["ring", "fp16"],
  ["halving", "bf16"],
  ["tree", "bf16"],
  ["hier", "fp16"],
];

for (const [algorithm, dtype] of cases) {
  Deno.test(`${algorithm} all-reduce (${dtype} on the wire) over HTTP, worlds 1–8`, async () => {
    for (let world = 1; world <= 8; world++) {
      const plan = new AllReducePlan(3001, world, {
        algorithm,
        dtype,
        chunkElems: 700,
        hosts: hosts(world),
      });
      const got = await overHttp(plan, world);
      const reference = inputs(world, plan.length);
      await Promise.all(
        memoryMesh(world).map((link, rank) =>
          plan.run(link, rank, reference[rank], { step: 0, bucket: 0 })
        ),
      );
      for (const [rank, out] of got.entries()) {
        assert.deepEqual(bits(out), bits(reference[0]), `world ${world} rank ${rank}`);
      }
    }
  });
}
