/**
 * Golden tests of the optimizers against PyTorch 1.13, from tests/fixtures/optim_golden.json
 * (written by tests/fixtures/make_golden_optim.py): every fused optimizer's 10-step trace
 * with default and non-default arguments, gradient clipping by norm and by value,
 * parameter groups (with a StepLR), each case's final state under PyTorch's state_dict
 * names, and L-BFGS with and without the strong-Wolfe line search — on every backend.
 *
 * The fixture's tolerances are ones PyTorch's own float32 run meets against its float64
 * reference; the WebGPU backend gets them scaled like its elementwise golden tolerance.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Backend } from "../../core/backend.ts";
import { backward } from "../../core/autograd.ts";
import { bindParameters, type FlatParameters } from "../../core/nn/flat_parameters.ts";
import { Embedding } from "../../core/nn/embedding.ts";
import { Parameter } from "../../core/nn/parameter.ts";
import { Rng } from "../../core/rng.ts";
import { add, matmul, mul, sub, sum } from "../../core/ops.ts";
import { type OptimizerArgValue, optimizerCatalog, optionKey } from "../../core/optim/catalog.ts";
import { clipGradNorm, clipGradValue } from "../../core/optim/clip.ts";
import { LBFGS } from "../../core/optim/lbfgs.ts";
import { Optimizer } from "../../core/optim/optimizer.ts";
import { optimizerFromName } from "../../core/optim/registry.ts";
import { StepLR } from "../../core/optim/schedulers/decay.ts";
import { tensor } from "../../core/tensor.ts";
import {
  backendsUnderTest,
  describeBackends,
  scaledTolerance,
  type Tolerance,
} from "./backends.ts";
import { backendTest, readFixture, runnableBackends } from "./golden.ts";

type Named = Record<string, number[]>;
type Args = Record<string, OptimizerArgValue>;

interface FusedCase {
  name: string;
  optimizer: string;
  args: Args;
  groups: { params: string[]; args: Args }[] | null;
  clip: { max_norm: number; norm_type: 2 | "inf" } | { clip_value: number } | null;
  scheduler: { step_size: number; gamma: number } | null;
  trace: Named[];
  norms: number[];
  state: Named;
}

interface LbfgsCase {
  name: string;
  problem: "rosenbrock" | "least_squares";
  args: Args;
  steps: number;
  params: Named;
  trace: Named[];
  losses: number[];
}

interface EmbeddingCase {
  name: string;
  padding_idx: number | null;
  optimizer: string;
  args: Args;
  weight: number[];
  indices: number[][];
  grad_outputs: number[][];
  trace: { weight: number[] }[];
}

interface Fixture {
  torch: string;
  tolerance: { fused: Tolerance; lbfgs: Tolerance };
  steps: number;
  params: Record<string, { shape: number[]; data: number[] }>;
  grads: Named[];
  defaults: Record<string, Record<string, OptimizerArgValue | "required">>;
  cases: FusedCase[];
  lbfgs: LbfgsCase[];
  embedding: EmbeddingCase[];
}

const fixture = await readFixture<Fixture>("optim_golden.json");

/** The fixture's tolerance, scaled for `bt` as its elementwise golden tolerance is. */

/** The fixture's parameters "w" [3, 4] and "b" [3], bound to `backend`. */
function bindFixtureParams(backend: Backend): FlatParameters {
  return bindParameters(
    backend,
    Object.entries(fixture.params).map((
      [name, p],
    ) => [name, new Parameter(p.shape, Float32Array.from(p.data))]),
  );
}

/** Optimizer options from arguments in PyTorch's names. */
function options(args: Args): Record<string, OptimizerArgValue> {
  return Object.fromEntries(Object.entries(args).map(([k, v]) => [optionKey(k), v]));
}

function writeGrads(flat: FlatParameters, grads: Named): void {
  const host = new Float32Array(flat.size);
  for (const s of flat.slots) host.set(grads[s.name], s.offset);
  flat.backend.write(flat.grads, host);
}

async function readParams(flat: FlatParameters): Promise<Named> {
  const all = await flat.backend.read(flat.params);
  return Object.fromEntries(
    flat.slots.map((s) => [s.name, [...all.subarray(s.offset, s.offset + s.size)]]),
  );
}

/** `|ours − expected| ≤ atol + rtol·|expected|` for every named array; failures as strings. */
function compare(label: string, ours: Named, expected: Named, tol: Tolerance): string[] {
  const failures: string[] = [];
  for (const [name, want] of Object.entries(expected)) {
    const got = ours[name];
    if (!got || got.length !== want.length) {
      failures.push(`${label} ${name}: missing or ${got?.length} values, expected ${want.length}`);
      continue;
    }
    want.forEach((w, i) => {
      if (!(Math.abs(got[i] - w) <= tol.atol + tol.rtol * Math.abs(w))) {
        failures.push(`${label} ${name}[${i}]: ${got[i]}, expected ${w}`);
      }
    });
  }
  return failures;
}

/** Runs one fused case from the start, or from `from` steps restored out of a checkpointed state. */
async function runFusedCase(backend: Backend, c: FusedCase, tol: Tolerance): Promise<string[]> {
  const flat = bindFixtureParams(backend);
  const groups = c.groups?.map((g) => ({ params: g.params, ...options(g.args) }));
  const opt = optimizerFromName(c.optimizer, flat, c.args, groups) as Optimizer;
  const scheduler = c.scheduler &&
    new StepLR(opt, { stepSize: c.scheduler.step_size, gamma: c.scheduler.gamma });
  // Each read is issued where the value stands and all are awaited at the end: from a GPU
  // the steps then wait out one map latency, not one per read.
  const checks: Promise<string[]>[] = [];
  for (let k = 0; k < fixture.steps; k++) {
    writeGrads(flat, fixture.grads[k]);
    if (c.clip && "max_norm" in c.clip) {
      const norm = backend.read(clipGradNorm(flat, c.clip.max_norm, c.clip.norm_type));
      checks.push(
        norm.then((n) => compare(`step ${k + 1}`, { norm: [...n] }, { norm: [c.norms[k]] }, tol)),
      );
    } else if (c.clip) {
      clipGradValue(flat, c.clip.clip_value);
    }
    opt.step();
    scheduler?.step();
    backend.endStep();
    checks.push(readParams(flat).then((p) => compare(`step ${k + 1}`, p, c.trace[k], tol)));
  }
  const failures = (await Promise.all(checks)).flat();
  const state = Object.fromEntries((await opt.stateSlices()).map((s) => [s.name, [...s.data]]));
  failures.push(...compare("final state", state, c.state, tol));
  return failures;
}

const backends = await backendsUnderTest();
describeBackends("optim_golden_test.ts", backends);
const optimizers = [...new Set(fixture.cases.map((c) => c.optimizer))];

for (const bt of runnableBackends("optim", backends)) {
  const fusedTol = scaledTolerance(bt, fixture.tolerance.fused);
  const lbfgsTol = scaledTolerance(bt, fixture.tolerance.lbfgs);
  const test = (name: string, fn: (backend: Backend) => Promise<string[]>) =>
    backendTest(bt, `optim ${bt.name}: ${name}`, async (backend) => {
      assert.deepEqual(await fn(backend), []);
    });

  for (const optimizer of optimizers) {
    test(`${optimizer} traces match torch ${fixture.torch}`, async (backend) => {
      const failures: string[] = [];
      for (const c of fixture.cases.filter((c) => c.optimizer === optimizer)) {
        failures.push(...(await runFusedCase(backend, c, fusedTol)).map((f) => `${c.name}: ${f}`));
      }
      return failures;
    });
  }

  test("Optimizer's clip option matches clip_grad_norm_ and clip_grad_value_", async (backend) => {
    const failures: string[] = [];
    for (const c of fixture.cases.filter((c) => c.clip !== null && c.groups === null)) {
      const flat = bindFixtureParams(backend);
      const clip = "max_norm" in c.clip!
        ? { maxNorm: c.clip.max_norm, normType: c.clip.norm_type }
        : { value: c.clip!.clip_value };
      const opt = new Optimizer(c.optimizer as "sgd", flat, { ...options(c.args), clip });
      const checks: Promise<string[]>[] = [];
      for (let k = 0; k < fixture.steps; k++) {
        writeGrads(flat, fixture.grads[k]);
        opt.step();
        backend.endStep();
        checks.push(
          readParams(flat).then((p) => compare(`${c.name} step ${k + 1}`, p, c.trace[k], fusedTol)),
        );
      }
      failures.push(...(await Promise.all(checks)).flat());
    }
    return failures;
  });

  test("a run resumed from saved state continues the trace exactly", async (backend) => {
    const failures: string[] = [];
    const resumable = ["sgd momentum", "asgd averaging weight_decay maximize", "nadam", "rprop"];
    const cases = fixture.cases.filter((c) =>
      (resumable.includes(c.name) || c.groups) && c.scheduler === null
    );
    for (const c of cases) {
      const groups = c.groups?.map((g) => ({ params: g.params, ...options(g.args) }));
      const first = bindFixtureParams(backend);
      const before = optimizerFromName(c.optimizer, first, c.args, groups) as Optimizer;
      const half = fixture.steps / 2;
      for (let k = 0; k < half; k++) {
        writeGrads(first, fixture.grads[k]);
        before.step();
      }
      const saved = new Map((await before.stateSlices()).map((s) => [s.name, s.data]));
      const params = await backend.read(first.params);
      const second = bindFixtureParams(backend);
      backend.write(second.params, params);
      const after = optimizerFromName(c.optimizer, second, c.args, groups) as Optimizer;
      after.loadState(saved, before.stepCount);
      const checks: Promise<string[]>[] = [];
      for (let k = half; k < fixture.steps; k++) {
        writeGrads(second, fixture.grads[k]);
        after.step();
        checks.push(
          readParams(second).then((p) =>
            compare(`${c.name} step ${k + 1}`, p, c.trace[k], fusedTol)
          ),
        );
      }
      failures.push(...(await Promise.all(checks)).flat());
    }
    return failures;
  });

  for (const c of fixture.lbfgs) {
    test(`lbfgs ${c.name} matches torch`, (backend) => runLbfgsCase(backend, c, lbfgsTol));
  }
  for (const c of fixture.embedding) {
    test(`Embedding with ${c.name} matches torch`, (backend) =>
      runEmbeddingCase(backend, c, fusedTol));
  }
}

async function runEmbeddingCase(
  backend: Backend,
  c: EmbeddingCase,
  tol: Tolerance,
): Promise<string[]> {
  const emb = new Embedding(6, 3, new Rng(0), { paddingIdx: c.padding_idx });
  const flat = bindParameters(backend, emb.namedParameters());
  const host = new Float32Array(flat.size);
  host.set(c.weight);
  backend.write(flat.params, host);
  const opt = optimizerFromName(c.optimizer, flat, c.args) as Optimizer;
  const checks: Promise<string[]>[] = [];
  for (let k = 0; k < c.indices.length; k++) {
    opt.zeroGrad();
    const out = emb.forward(tensor(backend, c.indices[k], [c.indices[k].length]));
    backward(sum(mul(out, tensor(backend, c.grad_outputs[k], out.shape))));
    opt.step();
    backend.endStep();
    checks.push(readParams(flat).then((p) => compare(`step ${k + 1}`, p, c.trace[k], tol)));
  }
  return (await Promise.all(checks)).flat();
}

async function runLbfgsCase(backend: Backend, c: LbfgsCase, tol: Tolerance): Promise<string[]> {
  const rosenbrock = c.problem === "rosenbrock";
  const names = rosenbrock ? ["x", "y"] : ["w"];
  const flat = bindParameters(
    backend,
    names.map((n) => [n, new Parameter(rosenbrock ? [1] : [3, 1], Float32Array.from(c.params[n]))]),
  );
  const [p0, p1] = flat.slots.map((s) => s.parameter.value);
  const constant = (values: number[], shape: number[]) => tensor(backend, values, shape);
  const one = constant([1], [1]), hundred = constant([100], [1]);
  const a = rosenbrock ? null : constant(c.params.A, [6, 3]);
  const target = rosenbrock ? null : constant(c.params.c, [6, 1]);
  const loss = () => {
    if (rosenbrock) {
      const u = sub(one, p0), v = sub(p1, mul(p0, p0));
      return sum(add(mul(u, u), mul(hundred, mul(v, v))));
    }
    const r = sub(matmul(a!, p0), target!);
    return sum(mul(r, r));
  };
  const opt = optimizerFromName("lbfgs", flat, c.args) as LBFGS;
  const failures: string[] = [];
  for (let k = 0; k < c.steps; k++) {
    const value = await opt.step(() => {
      opt.zeroGrad();
      const l = loss();
      backward(l);
      return l;
    });
    failures.push(
      ...compare(`step ${k + 1}`, { ...await readParams(flat), loss: [value] }, {
        ...c.trace[k],
        loss: [c.losses[k]],
      }, tol),
    );
  }
  return failures;
}

Deno.test("optim: the catalogue lists every optimizer with torch's arguments and defaults", () => {
  const ours = Object.fromEntries(
    optimizerCatalog.map((
      s,
    ) => [s.name, Object.fromEntries(s.args.map((a) => [a.name, a.default]))]),
  );
  const torchDefaults = structuredClone(fixture.defaults);
  // torch.optim.SGD requires lr; gradmesh defaults it to 0.01 (the value it always had).
  assert.equal(torchDefaults.sgd.lr, "required");
  torchDefaults.sgd.lr = 0.01;
  assert.deepEqual(ours, torchDefaults);
});

Deno.test("optim: every fixture optimizer has cases with non-default arguments", () => {
  for (const name of optimizerCatalog.map((s) => s.name).filter((n) => n !== "lbfgs")) {
    const cases = fixture.cases.filter((c) => c.optimizer === name);
    assert.ok(cases.some((c) => Object.keys(c.args).length > 1), name);
  }
});

Deno.test("optim: the comparison fails on a wrong trace", async () => {
  const backend = await backends[0].create!();
  const c = structuredClone(fixture.cases.find((c) => c.name === "adam")!);
  c.trace[9].w[0] += 1e-4;
  const failures = await runFusedCase(backend, c, fixture.tolerance.fused);
  assert.equal(failures.length, 1);
  assert.match(failures[0], /^step 10 w\[0\]/);
});
