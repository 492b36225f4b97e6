/**
 * Every all-reduce algorithm and wire dtype over real links (one process, sockets on
 * 127.0.0.1): HTTP for worlds 1–8, the native link for worlds 2–4. Every rank ends with the
 * same bits, the bits of the same run over in-memory links, and each endpoint takes exactly
 * the chunks the plan announces.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AllReducePlan } from "../../coordinator/transport/all_reduce.ts";
import type { ConcreteAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import type { WireDtype } from "../../coordinator/transport/wire_dtype.ts";
import { startTestMesh, type Transport } from "./link_meshes.ts";

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Ranks on three pretend hosts, unevenly: a, b, a, c, a, b, … */
const hosts = (world: number) => Array.from({ length: world }, (_, r) => "abac"[r % 4]);

const inputs = (world: number, length: number) =>
  Array.from(
    { length: world },
    (_, r) => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + r) * 10 ** (r % 4 - 1)),
  );

/** The results of `plan` on every rank of `world`, over `transport`, for two steps in a row. */
async function overLinks(
  transport: Transport,
  plan: AllReducePlan,
  world: number,
): Promise<Float32Array[]> {
  await using mesh = await startTestMesh(
    transport,
    world,
    (rank) => (k, from) => plan.chunkLength(rank, from, k.chunk),
  );
  let data: Float32Array<ArrayBuffer>[] = [];
  for (const step of [0, 1]) {
    data = inputs(world, plan.length);
    await Promise.all(
      mesh.links.map((link, rank) => plan.run(link, rank, data[rank], { step, bucket: 0 })),
    );
  }
  for (const mailbox of mesh.mailboxes) assert.equal(mailbox.pending, 0);
  assert.equal(mesh.refused(), 0);
  return data;
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

const worlds: Record<Transport, [number, number]> = { http: [1, 8], native: [2, 4] };

for (const [transport, [first, last]] of Object.entries(worlds) as [Transport, number[]][]) {
  for (const [algorithm, dtype] of cases) {
    const name =
      `${algorithm} all-reduce (${dtype} on the wire) over ${transport}, worlds ${first}–${last}`;
    Deno.test(name, async () => {
      for (let world = first; world <= last; world++) {
        const plan = new AllReducePlan(3001, world, {
          algorithm,
          dtype,
          chunkElems: 700,
          hosts: hosts(world),
        });
        const got = await overLinks(transport, plan, world);
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
}
