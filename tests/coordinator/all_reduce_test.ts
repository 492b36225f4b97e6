import assert from "node:assert/strict";
import { exactInputs } from "./reduce_inputs.ts";
import { AllReducePlan, MIN_SPREAD_CHUNK_ELEMS } from "../../coordinator/transport/all_reduce.ts";
import { DEFAULT_CHUNK_ELEMS } from "../../coordinator/transport/ring_plan.ts";
import type { ConcreteAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";
import { MeshError, MeshTimeoutError } from "../../coordinator/transport/errors.ts";
import { type Fault, memoryMesh } from "../../coordinator/transport/memory_link.ts";
import { roundToWire, type WireDtype } from "../../coordinator/transport/wire_dtype.ts";

/** Small deterministic generator, so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
const ALGORITHMS: ConcreteAlgorithm[] = ["ring", "tree", "halving", "hier"];

/** Hosts of a world where ranks share machines unevenly: a, a, b, a, c, c, b, … */
const unevenHosts = (world: number) =>
  Array.from({ length: world }, (_, r) => "abac"[r % 4] + (r >= 4 ? "2" : ""));

/** Runs every rank's all-reduce over one in-memory mesh; returns each rank's settlement. */
function reduceAll(
  plan: AllReducePlan,
  inputs: Float32Array<ArrayBuffer>[],
  fault?: (from: number, to: number) => Fault | undefined,
  timeoutMs?: number,
): Promise<PromiseSettledResult<void>[]> {
  const links = memoryMesh(inputs.length, { fault });
  return Promise.allSettled(
    links.map((link, rank) =>
      plan.run(link, rank, inputs[rank], { step: 2, bucket: 1, timeoutMs })
    ),
  );
}

const randomInputs = (world: number, length: number, seed: number) => {
  const next = lcg(seed);
  return Array.from(
    { length: world },
    () => Float32Array.from({ length }, () => (next() - 0.5) * 10 ** (8 * next() - 4)),
  );
};

Deno.test("every algorithm sums exactly for worlds 1–8 and awkward lengths", async () => {
  for (const algorithm of ALGORITHMS) {
    for (let world = 1; world <= 8; world++) {
      for (const length of [0, 1, world + 1, 97]) {
        for (const chunkElems of [1, 16]) {
          const { inputs, expected } = exactInputs(world, length);
          const hosts = unevenHosts(world);
          const plan = new AllReducePlan(length, world, { algorithm, chunkElems, hosts });
          const results = await reduceAll(plan, inputs);
          const where = `${algorithm} world ${world} length ${length} chunk ${chunkElems}`;
          assert.deepEqual(results.map((r) => r.status), inputs.map(() => "fulfilled"), where);
          for (const out of inputs) assert.deepEqual(out, expected, where);
        }
      }
    }
  }
});

Deno.test("every algorithm and wire dtype leaves all ranks bitwise identical, run to run", async () => {
  const next = lcg(5);
  for (const algorithm of ALGORITHMS) {
    for (const dtype of ["fp32", "fp16", "bf16"] as const) {
      for (const world of [3, 5, 8]) {
        const length = 601;
        const plan = new AllReducePlan(length, world, {
          algorithm,
          dtype,
          chunkElems: 64,
          hosts: unevenHosts(world),
        });
        const calm = randomInputs(world, length, world);
        await reduceAll(plan, calm);
        const shuffled = randomInputs(world, length, world);
        // Delays reorder the arrivals; the result may not change.
        await reduceAll(plan, shuffled, () => ({ kind: "delay", ms: Math.floor(next() * 3) }));
        for (let rank = 0; rank < world; rank++) {
          const where = `${algorithm} ${dtype} world ${world} rank ${rank}`;
          assert.deepEqual(bits(calm[rank]), bits(calm[0]), where);
          assert.deepEqual(bits(shuffled[rank]), bits(calm[0]), where);
        }
      }
    }
  }
});

/**
 * The tree's documented order and rounding, computed directly: each rank adds to its own
 * float32 values its children's partial sums, cast to 16 bits as they were sent, in the order
 * r + 1, r + 2, r + 4, …, in float32; rank 0's sum is cast once more.
 */
function treeReference(inputs: Float32Array[], dtype: WireDtype): Float32Array {
  const world = inputs.length;
  const rounded = (a: Float32Array) => {
    const copy = a.slice();
    roundToWire(dtype, copy);
    return copy;
  };
  const partial = (r: number): Float32Array => {
    const sum = inputs[r].slice();
    const limit = r === 0 ? Infinity : r & -r;
    for (let mask = 1; mask < limit && r + mask < world; mask *= 2) {
      const child = rounded(partial(r + mask));
      for (let i = 0; i < sum.length; i++) sum[i] += child[i];
    }
    return sum;
  };
  return rounded(partial(0));
}

Deno.test("the tree adds in the documented order and rounds where documented", async () => {
  for (const dtype of ["fp32", "fp16", "bf16"] as const) {
    for (const world of [2, 6, 7]) {
      const inputs = randomInputs(world, 300, 40 + world);
      const want = treeReference(inputs, dtype);
      const plan = new AllReducePlan(300, world, { algorithm: "tree", dtype, chunkElems: 50 });
      await reduceAll(plan, inputs);
      for (const out of inputs) assert.deepEqual(bits(out), bits(want), `${dtype} world ${world}`);
    }
  }
});

Deno.test("16-bit wire: sums of small integers stay exact, and rounding is bounded", async () => {
  for (const dtype of ["fp16", "bf16"] as const) {
    for (const algorithm of ALGORITHMS) {
      const world = 5;
      const ints = Array.from(
        { length: world },
        (_, r) => Float32Array.from({ length: 40 }, (_, i) => (i % 7) - r),
      );
      await reduceAll(new AllReducePlan(40, world, { algorithm, dtype, chunkElems: 8 }), ints);
      for (let i = 0; i < 40; i++) assert.equal(ints[0][i], 5 * (i % 7) - 10);
      const inputs = randomInputs(world, 200, 9);
      const exact = Float64Array.from(
        { length: 200 },
        (_, i) => inputs.reduce((s, x) => s + x[i], 0),
      );
      const scale = Float64Array.from(
        { length: 200 },
        (_, i) => inputs.reduce((s, x) => s + Math.abs(x[i]), 0),
      );
      await reduceAll(new AllReducePlan(200, world, { algorithm, dtype, chunkElems: 32 }), inputs);
      // Each rounding loses at most half a unit in the last place; a sum meets at most
      // 2·world of them (fp16: 2⁻¹¹ relative, bf16: 2⁻⁸), and none of these values is
      // near fp16's range limits.
      const unit = dtype === "fp16" ? 2 ** -11 : 2 ** -8;
      for (let i = 0; i < 200; i++) {
        if (scale[i] > 6e4 || scale[i] < 1e-3) continue;
        const bound = 2 * world * unit * scale[i];
        assert.ok(Math.abs(inputs[0][i] - exact[i]) <= bound, `${dtype} ${algorithm} ${i}`);
      }
    }
  }
});

Deno.test("auto picks the tree for small buffers and the ring for large ones", () => {
  assert.equal(new AllReducePlan(16, 8, { algorithm: "auto" }).algorithm, "tree");
  assert.equal(new AllReducePlan(1 << 20, 8, { algorithm: "auto" }).algorithm, "ring");
  assert.equal(new AllReducePlan(16, 2, { algorithm: "auto" }).algorithm, "ring");
  const twoHosts = ["a", "a", "a", "a", "b", "b", "b", "b"];
  // Across hosts the hierarchy saves cross-host latency at middle sizes...
  const hier = (length: number, hosts: string[]) =>
    new AllReducePlan(length, hosts.length, { algorithm: "auto", hosts }).algorithm;
  assert.equal(hier(16384, twoHosts), "hier");
  assert.equal(hier(1 << 20, ["a", "a", "b", "b"]), "hier");
  // ...and the ring, bandwidth-optimal, wins again when many ranks share a large buffer.
  assert.equal(hier(1 << 20, twoHosts), "ring");
  assert.equal(hier(1024, ["a", "b", "c", "d"]), "tree");
});

Deno.test("a peer that never answers is named, whatever the algorithm", async () => {
  for (const algorithm of ALGORITHMS) {
    const world = 4;
    const dead = 3;
    const links = memoryMesh(world, {
      fault: (_from, to) => (to === dead ? { kind: "hang" } : undefined),
    });
    const plan = new AllReducePlan(40, world, {
      algorithm,
      chunkElems: 4,
      hosts: ["a", "a", "b", "b"],
    });
    const started = Date.now();
    const results = await Promise.allSettled(
      [0, 1, 2].map((rank) =>
        plan.run(links[rank], rank, new Float32Array(40), { step: 5, bucket: 1, timeoutMs: 100 })
      ),
    );
    assert.ok(Date.now() - started < 2_000);
    const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
    for (const error of reasons) assert.ok(error instanceof MeshTimeoutError, String(error));
    // Rank 3's direct partner (its tree parent, ring left neighbour or host leader) blames it.
    assert.ok(reasons.some((e) => e.rank === dead), reasons.map(String).join("\n"));
  }
});

Deno.test("a chunk of the wrong length names its sender", async () => {
  const world = 2;
  const plan = new AllReducePlan(8, world, { algorithm: "tree", chunkElems: 8 });
  const links = memoryMesh(world);
  const data = new Float32Array(8);
  const wrong = links[1].send(0, { step: 0, bucket: 0, chunk: 0 }, new Float32Array(3));
  const run = plan.run(links[0], 0, data, { step: 0, bucket: 0, timeoutMs: 500 });
  await wrong.catch(() => {});
  const error = await run.then(() => null, (e) => e);
  assert.ok(error instanceof MeshError && error.rank === 1, String(error));
  assert.equal(plan.chunkLength(0, 1, 0), 8);
  assert.equal(plan.chunkLength(0, 1, 1), undefined); // the broadcast's chunk goes 0 → 1
  assert.equal(plan.chunkLength(1, 0, 1), 8);
  assert.equal(plan.chunkLength(1, 0, 0), undefined);
});

Deno.test("scratch of scratchLength floats is reused across steps", async () => {
  for (const algorithm of ALGORITHMS) {
    for (const dtype of ["fp32", "bf16"] as const) {
      const world = 3;
      const plan = new AllReducePlan(50, world, { algorithm, dtype, chunkElems: 8 });
      const links = memoryMesh(world);
      const scratch = links.map((_, rank) => new Float32Array(plan.scratchLength(rank)));
      for (const step of [0, 1, 2]) {
        const data = links.map((_, r) => Float32Array.from({ length: 50 }, (_, i) => i + r + step));
        await Promise.all(
          links.map((link, rank) =>
            plan.run(link, rank, data[rank], { step, bucket: 0, scratch: scratch[rank] })
          ),
        );
        for (const out of data) {
          out.forEach((x, i) => assert.equal(x, 3 * (i + step) + 3, `${algorithm} ${dtype}`));
        }
      }
      const short = new Float32Array(Math.max(0, plan.scratchLength(0) - 1));
      if (plan.scratchLength(0) > 0) {
        await assert.rejects(
          plan.run(links[0], 0, new Float32Array(50), { step: 9, bucket: 0, scratch: short }),
          RangeError,
        );
      }
    }
  }
});

/** Recursive halving's documented order: the fold, then `own + partner` at d = q/2, …, 1. */
function halvingReference(inputs: Float32Array[]): Float32Array {
  const world = inputs.length;
  const length = inputs[0].length;
  const q = 2 ** Math.floor(Math.log2(world));
  const extra = world - q;
  const add = (a: Float32Array, b: Float32Array) => a.map((x, i) => x + b[i]);
  const folded = inputs.map((x, r) => (r < 2 * extra && r % 2 === 1 ? add(x, inputs[r - 1]) : x));
  let partial = Array.from({ length: q }, (_, v) => folded[v < extra ? 2 * v + 1 : v + extra]);
  for (let d = q / 2; d >= 1; d /= 2) partial = partial.map((own, v) => add(own, partial[v ^ d]));
  const block = (b: number) => b * Math.floor(length / q) + Math.min(b, length % q);
  const out = new Float32Array(length);
  for (let b = 0; b < q; b++) out.set(partial[b].subarray(block(b), block(b + 1)), block(b));
  return out;
}

Deno.test("recursive halving adds in the documented order, also folding non-powers of two", async () => {
  for (const world of [2, 4, 6, 7, 8]) {
    const inputs = randomInputs(world, 333, 70 + world);
    const want = halvingReference(inputs);
    const plan = new AllReducePlan(333, world, { algorithm: "halving", chunkElems: 40 });
    await reduceAll(plan, inputs);
    for (const out of inputs) assert.deepEqual(bits(out), bits(want), `world ${world}`);
  }
});

Deno.test("streams cut each algorithm's largest transfer into that many chunks, not below 64K floats", () => {
  const elems = (length: number, world: number, algorithm: ConcreteAlgorithm, streams: number) =>
    new AllReducePlan(length, world, { algorithm, streams }).chunkElems;
  assert.equal(elems(1 << 20, 2, "ring", 4), 131072); // 4 MiB at 2 ranks: 512K-float segments
  assert.equal(elems(1 << 20, 2, "tree", 4), 262144);
  assert.equal(elems(1 << 20, 2, "halving", 4), 131072);
  assert.equal(elems(1 << 24, 2, "ring", 4), DEFAULT_CHUNK_ELEMS); // never above the default
  assert.equal(elems(100_000, 2, "ring", 4), MIN_SPREAD_CHUNK_ELEMS);
  assert.equal(new AllReducePlan(1 << 20, 2).chunkElems, DEFAULT_CHUNK_ELEMS);
});

Deno.test("how the buffer is chunked never changes the bits", async () => {
  for (const algorithm of ALGORITHMS) {
    const world = 5;
    const results = [];
    for (const chunkElems of [7, 1000]) {
      const inputs = randomInputs(world, 700, 3);
      await reduceAll(new AllReducePlan(700, world, { algorithm, chunkElems }), inputs);
      results.push(bits(inputs[0]));
    }
    assert.deepEqual(results[0], results[1], algorithm);
  }
});
