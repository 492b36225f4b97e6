import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { BucketPlan } from "../../coordinator/job/bucket_plan.ts";
import { GradientReducer } from "../../coordinator/job/gradient_reducer.ts";
import {
  PowerSgd,
  powerSgdLayout,
  type PowerSgdOptions,
  type SlotShape,
} from "../../coordinator/job/powersgd.ts";
import { Rng } from "../../core/rng.ts";
import { orthogonalize } from "../../coordinator/job/low_rank.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import type { AllReduceAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";

type Named = Record<string, number[]>;
interface Golden {
  world: number;
  start: number;
  shapes: Record<string, number[]>;
  q0: Record<string, Named>;
  cases: {
    rank: number;
    steps: { grads: Named[]; reduced: Named; p: Named; q: Named; error: Named[] }[];
  }[];
}

const golden: Golden = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/powersgd_golden.json", import.meta.url)),
);

/** Parameters laid out one after another, as named in `shapes`. */
function slotsOf(shapes: Record<string, number[]>): (SlotShape & { name: string })[] {
  let offset = 0;
  return Object.entries(shapes).map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const slot = { name, shape, offset, size };
    offset += size;
    return slot;
  });
}

/** `world` ranks on an in-memory mesh, each with a PowerSGD reducer over `slots`. */
function ranksOf(
  slots: readonly SlotShape[],
  world: number,
  options: PowerSgdOptions,
  algorithm: AllReduceAlgorithm = "ring",
) {
  const length = slots.reduce((n, s) => Math.max(n, s.offset + s.size), 0);
  const states = Array.from({ length: world }, () => new PowerSgd(slots, world, options));
  const plan = new BucketPlan(length, world, 64, undefined, [], {
    algorithm,
    powerSgdLengths: states[0].vectorLengths,
  });
  const backend = createCpuBackend();
  const reducers = memoryMesh(world).map((link, rank) =>
    new GradientReducer(link, { rank, plan, backend, powerSgd: states[rank] })
  );
  /** Reduces one step of every rank's gradient; resolves to what each rank holds after. */
  const step = async (grads: Float32Array[]): Promise<Float32Array[]> => {
    const storages = grads.map((g) => backend.upload(g));
    await Promise.all(reducers.map((r, i) => r.reduceGradients(storages[i], []).finish()));
    reducers.forEach((r) => r.step++);
    return Promise.all(storages.map((s) => backend.read(s)));
  };
  return { states, step, length };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]));
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol * scale,
      `${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]}`,
    );
  }
}

for (const c of golden.cases) {
  Deno.test(`PowerSGD rank ${c.rank}: P, Q, error and the summed gradient match DDP's powerSGD_hook`, async () => {
    const slots = slotsOf(golden.shapes);
    const { states, step, length } = ranksOf(slots, golden.world, {
      rank: c.rank,
      start: golden.start,
      seed: 0,
    });
    const byName = new Map(slots.map((s) => [s.offset, s.name]));
    const matrices = states[0].layout.matrices.map((m) => ({ ...m, name: byName.get(m.offset)! }));
    assert.deepEqual(
      matrices.map((m) => m.name),
      Object.keys(golden.q0[c.rank]),
      "the matrices DDP compresses",
    );
    for (const s of states) {
      for (const m of matrices) s.q.set(golden.q0[c.rank][m.name], m.qAt);
    }
    for (const [k, golden_step] of c.steps.entries()) {
      const grads = golden_step.grads.map((named) => {
        const flat = new Float32Array(length);
        for (const s of slots) flat.set(named[s.name], s.offset);
        return flat;
      });
      const after = await step(grads);
      assert.deepEqual(after[1], after[0], `step ${k + 1}: the ranks disagree`);
      for (const s of slots) {
        assertClose(
          after[0].subarray(s.offset, s.offset + s.size),
          golden_step.reduced[s.name],
          1e-5,
          `step ${k + 1} ${s.name}`,
        );
      }
      if (k < golden.start) {
        assert.equal(Object.keys(golden_step.p).length, 0);
        continue;
      }
      for (const m of matrices) {
        const { rows, cols, r } = m;
        const p = states[0].p.subarray(m.pAt, m.pAt + rows * r);
        assertClose(p, golden_step.p[m.name], 1e-5, `step ${k + 1} P of ${m.name}`);
        const q = states[0].q.subarray(m.qAt, m.qAt + cols * r);
        assertClose(q, golden_step.q[m.name], 1e-5, `step ${k + 1} Q of ${m.name}`);
        states.forEach((s, rank) => {
          const e = s.error.subarray(m.errorAt, m.errorAt + rows * cols);
          assertClose(
            e,
            golden_step.error[rank][m.name],
            1e-5,
            `step ${k + 1} rank ${rank} error of ${m.name}`,
          );
        });
      }
    }
  });
}

/** Seeded gradients of `length` floats for each of `world` ranks. */
function randomGrads(world: number, length: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: world }, () => Float32Array.from({ length }, () => rng.normal()));
}

Deno.test("PowerSGD at rank >= min(rows, cols) gives the plain sum within 1e-5, error feedback included", async () => {
  const slots = slotsOf({ w: [6, 4], conv: [5, 3, 2], b: [6] });
  // Compression forced (it saves no bytes at these ranks) to check the algebra.
  const { states, step, length } = ranksOf(slots, 3, {
    rank: 6,
    seed: 3,
    minCompressionRate: 0,
  }, "auto");
  assert.deepEqual(states[0].layout.matrices.map((m) => m.r), [4, 5]);
  for (let k = 0; k < 3; k++) {
    const grads = randomGrads(3, length, 10 + k);
    const after = await step(grads);
    const sum = grads[0].map((_, i) => grads[0][i] + grads[1][i] + grads[2][i]);
    for (const held of after) {
      assert.deepEqual(held, after[0], "every rank holds the same bits");
    }
    assertClose(after[0], sum, 1e-5, `step ${k + 1}`);
  }
});

Deno.test("PowerSGD start: the first steps are the plain all-reduce, bit for bit, with no state touched", async () => {
  const slots = slotsOf({ w: [16, 12], b: [16] });
  const { states, step, length } = ranksOf(slots, 2, { rank: 1, start: 3, seed: 5 });
  const plain = ranksOf(slots, 2, { rank: 1, start: 1000, seed: 5 });
  const q0 = states[0].q.slice();
  for (let k = 0; k < 4; k++) {
    const grads = randomGrads(2, length, 20 + k);
    const after = await step(grads.map((g) => g.slice()));
    const expected = await plain.step(grads);
    assert.equal(states[0].steps, k + 1);
    if (k < 3) {
      assert.deepEqual(after, expected, `step ${k + 1} is plain`);
      assert.deepEqual(states[0].q, q0);
      assert.ok(states[0].error.every((e) => e === 0));
    } else {
      assert.notDeepEqual(after[0], expected[0], `step ${k + 1} is compressed`);
      assert.ok(states[0].error.some((e) => e !== 0));
      // The bias is never compressed: still the plain sum's bits.
      assert.deepEqual(after[0].subarray(192), expected[0].subarray(192));
    }
  }
});

Deno.test("PowerSGD leaves vectors whole and compresses a matrix only where that saves floats", () => {
  const layout = powerSgdLayout([
    { offset: 0, size: 784 * 128, shape: [128, 784] },
    { offset: 100352, size: 128, shape: [128] },
    { offset: 100480, size: 6, shape: [3, 2] },
    { offset: 100486, size: 6 * 25, shape: [6, 1, 5, 5] },
  ], 4);
  assert.deepEqual(
    layout.matrices.map(({ rows, cols, r }) => [rows, cols, r]),
    [[128, 784, 4], [6, 25, 4]],
  );
  assert.deepEqual(layout.uncompressed.map((s) => s.offset), [100352, 100480]);
  assert.equal(layout.pLength, 128 * 4 + 6 * 4);
  assert.equal(layout.qLength, 784 * 4 + 25 * 4);
  assert.throws(() => new PowerSgd([], 2, { rank: 0, seed: 0 }), /rank must be an integer >= 1/);
});

Deno.test("Gram-Schmidt turns a zero column into zeros, not NaN, as DDP's hook means to", () => {
  const a = new Float32Array([3, 0, 4, 0]); // columns [3, 4] and [0, 0]
  orthogonalize(a, 2, 2, 0);
  assert.deepEqual([...a], [0.6000000238418579, 0, 0.800000011920929, 0]);
});
