import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { BucketPlan } from "../../coordinator/job/bucket_plan.ts";
import { GradientReducer } from "../../coordinator/job/gradient_reducer.ts";
import { PowerSgd, type PowerSgdOptions, type SlotShape } from "../../coordinator/job/powersgd.ts";
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
