/**
 * The optimizer API around the fused updates (whose values tests/core/optim_golden_test.ts
 * checks against PyTorch): the registry's and constructors' usage errors, parameter
 * groups as flat ranges, the lr and momentum that schedulers drive, saved state, the
 * L-BFGS line search's pieces, and Embedding's lookup and row-sparse gradient.
 *
 * @module
 */

import assert from "node:assert/strict";
import { backward } from "../../core/autograd.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { UsageError } from "../../core/errors.ts";
import { Embedding } from "../../core/nn/embedding.ts";
import { bindParameters, type FlatParameters } from "../../core/nn/flat_parameters.ts";
import { Parameter } from "../../core/nn/parameter.ts";
import { mul, sum } from "../../core/ops.ts";
import { optimizerCatalog, optimizerNames } from "../../core/optim/catalog.ts";
import { clipGradNorm, clipGradValue } from "../../core/optim/clip.ts";
import { LBFGS } from "../../core/optim/lbfgs.ts";
import { Optimizer } from "../../core/optim/optimizer.ts";
import { optimizerFromName } from "../../core/optim/registry.ts";
import { OneCycleLR } from "../../core/optim/schedulers/one_cycle.ts";
import { StepLR } from "../../core/optim/schedulers/decay.ts";
import { cubicInterpolate, strongWolfe } from "../../core/optim/strong_wolfe.ts";
import { Rng } from "../../core/rng.ts";
import { tensor } from "../../core/tensor.ts";
import { assertThrows } from "./asserts.ts";

/** Three parameters "a" [2], "b" [3], "c" [1] on the CPU with the given initial values. */
function threeParams(values = [1, 2, 3, 4, 5, 6]): FlatParameters {
  const p = (shape: number[], from: number) =>
    new Parameter(shape, Float32Array.from(values.slice(from, from + shape[0])));
  return bindParameters(createCpuBackend(), [["a", p([2], 0)], ["b", p([3], 2)], ["c", p([1], 5)]]);
}

Deno.test("optimizerFromName: every catalogue name builds, bad names and arguments are usage errors", () => {
  assert.deepEqual(optimizerNames, [
    "sgd",
    "asgd",
    "adagrad",
    "adadelta",
    "rmsprop",
    "adam",
    "adamw",
    "adamax",
    "nadam",
    "radam",
    "rprop",
    "sparse-adam",
    "lbfgs",
  ]);
  for (const name of optimizerNames) {
    const opt = optimizerFromName(name, threeParams());
    assert.ok(name === "lbfgs" ? opt instanceof LBFGS : opt instanceof Optimizer, name);
  }
  const flat = threeParams();
  assertThrows(() => optimizerFromName("lion", flat), UsageError, "optimizer", "lion");
  assertThrows(
    () => optimizerFromName("adam", flat, { momentum: 0.9 }),
    UsageError,
    "momentum: adam takes no such argument",
  );
  assertThrows(
    () => optimizerFromName("adam", flat, { lr: "1" }),
    UsageError,
    "lr: expected a number",
  );
  assertThrows(
    () => optimizerFromName("adam", flat, { betas: [0.9] }),
    UsageError,
    "betas: expected 2 numbers",
  );
  assertThrows(
    () => optimizerFromName("lbfgs", flat, {}, [{ params: ["a"] }]),
    UsageError,
    "lbfgs does not support parameter groups",
  );
});

Deno.test("optimizers validate their arguments as PyTorch does, naming the argument", () => {
  const flat = threeParams();
  const cases: [string, Record<string, unknown>, string][] = [
    ["sgd", { lr: -1 }, "lr: expected a learning rate >= 0"],
    ["sgd", { nesterov: true }, "nesterov: needs momentum > 0 and dampening 0"],
    ["adam", { betas: [1, 0.9] }, "betas: expected betas in [0, 1)"],
    ["adadelta", { rho: 1.5 }, "rho: expected rho in [0, 1]"],
    ["rmsprop", { alpha: -1 }, "alpha: expected a value >= 0"],
    ["adagrad", { lr_decay: -1 }, "lr_decay: expected a value >= 0"],
    ["rprop", { etas: [0.5, 0.9] }, "etas: expected 0 < etaminus < 1 < etaplus"],
    ["sparse-adam", { eps: 0 }, "eps: expected eps > 0"],
    ["lbfgs", { line_search_fn: "armijo" }, 'line_search_fn: expected null or "strong_wolfe"'],
    ["lbfgs", { history_size: 0 }, "history_size: expected an integer >= 1"],
  ];
  for (const [name, args, message] of cases) {
    assertThrows(() => optimizerFromName(name, flat, args as never), UsageError, message);
  }
  assertThrows(
    () => new Optimizer("sgd", flat, { clip: { maxNorm: -1 } }),
    UsageError,
    "clipGradNorm: expected a finite max_norm >= 0",
  );
  assertThrows(
    () => new Optimizer("sgd", flat, { clip: { normType: 1 as never } }),
    UsageError,
    "clipNormType: expected 2 or inf",
  );
});

Deno.test("parameter groups: a range per run of neighbours, each parameter in one group", () => {
  const flat = threeParams();
  const opt = new Optimizer("sgd", flat, { lr: 0.1 }, [
    { params: ["b", flat.slots[2].parameter] },
    { params: ["a"], lr: 0.5 },
  ]);
  const ranges = (o: Optimizer) =>
    o.paramGroups.map((g) => [g.ranges.map((r) => [r.offset, r.size]), g.lr]);
  assert.deepEqual(ranges(opt), [[[[2, 4]], 0.1], [[[0, 2]], 0.5]]);
  // A group of parameters that are not neighbours is one range per run of neighbours.
  const split = new Optimizer("sgd", flat, {}, [{ params: ["c", "a"] }, { params: ["b"] }]);
  assert.deepEqual(ranges(split), [[[[0, 2], [5, 1]], 0.01], [[[2, 3]], 0.01]]);
  assertThrows(
    () => new Optimizer("sgd", flat, {}, [{ params: ["a"] }, { params: ["a", "b"] }]),
    UsageError,
    "a is in groups 0 and 1",
  );
  assertThrows(
    () => new Optimizer("sgd", flat, {}, [{ params: ["z"] }]),
    UsageError,
    `group 0: "z" is not one of the model's parameters`,
  );
  assertThrows(() => new Optimizer("sgd", flat, {}, [{ params: [] }]), UsageError, "no parameters");
});

Deno.test("parameter groups: each group updates with its own settings; others stay put", async () => {
  const flat = threeParams();
  flat.backend.write(flat.grads, new Float32Array([1, 1, 1, 1, 1, 1]));
  const opt = new Optimizer("sgd", flat, { lr: 0.1 }, [
    { params: ["a"], weightDecay: 1 },
    { params: ["b"], lr: 1 },
  ]);
  opt.step();
  // a: p − 0.1·(1 + p); b: p − 1; c is in no group.
  assert.deepEqual([...await flat.backend.read(flat.params)].map((v) => +v.toFixed(5)), [
    0.8,
    1.7,
    2,
    3,
    4,
    6,
  ]);
});

Deno.test("setting lr scales every group like PyTorch's multiplicative schedulers", () => {
  const opt = new Optimizer("sgd", threeParams(), { lr: 0.1 }, [
    { params: ["a"] },
    { params: ["b"], lr: 0.02 },
  ]);
  const scheduler = new StepLR(opt, { stepSize: 1, gamma: 0.5 });
  scheduler.step();
  scheduler.step();
  assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.025, 0.005]);
  // A group's own scheduler follows its own base lr.
  new StepLR(opt.paramGroups[1], { stepSize: 1, gamma: 0.1 }).step();
  assert.equal(opt.paramGroups[1].lr, 0.0005);
});

Deno.test("OneCycleLR drives SGD's momentum and Adam's β₁ in every group", () => {
  const sgd = new Optimizer("sgd", threeParams(), { lr: 0.1, momentum: 0.9 }, [
    { params: ["a"] },
    { params: ["b", "c"] },
  ]);
  new OneCycleLR(sgd, { maxLr: 1, totalSteps: 10 });
  assert.deepEqual(sgd.paramGroups.map((g) => g.settings.momentum), [0.95, 0.95]);
  const adam = new Optimizer("adam", threeParams());
  new OneCycleLR(adam, { maxLr: 1, totalSteps: 10 });
  assert.equal(adam.paramGroups[0].settings.beta1, 0.95);
  assert.equal(new Optimizer("adagrad", threeParams()).momentum, undefined);
});

Deno.test("state slices: buffers per parameter and ASGD's scalars, under PyTorch's names", async () => {
  const flat = threeParams();
  flat.backend.write(flat.grads, new Float32Array(6).fill(1));
  const opt = new Optimizer("asgd", flat, {}, [{ params: ["a"] }, { params: ["b"], lr: 0.5 }]);
  assert.deepEqual((await opt.stateSlices()).map((s) => s.name), ["a.ax", "b.ax"]);
  opt.step();
  const slices = await opt.stateSlices();
  assert.deepEqual(slices.map((s) => s.name), ["a.ax", "b.ax", "a.eta", "a.mu", "b.eta", "b.mu"]);
  const eta = (name: string) => slices.find((s) => s.name === name)!.data[0];
  assert.equal(eta("a.eta"), Math.fround(0.01 / Math.pow(1 + 1e-4 * 0.01, 0.75)));
  assert.equal(eta("b.eta"), Math.fround(0.5 / Math.pow(1 + 1e-4 * 0.5, 0.75)));
  assertThrows(
    () =>
      opt.loadState(
        new Map(slices.filter((s) => s.name !== "b.mu").map((s) => [s.name, s.data])),
        1,
      ),
    UsageError,
    "optimizer state b.mu is missing",
  );
});

Deno.test("Adagrad starts its sums at initial_accumulator_value, per group", async () => {
  const opt = new Optimizer("adagrad", threeParams(), {}, [
    { params: ["a"], initialAccumulatorValue: 0.5 },
    { params: ["b"] },
  ]);
  const sums = new Map((await opt.stateSlices()).map((s) => [s.name, [...s.data]]));
  assert.deepEqual(sums.get("a.sum"), [0.5, 0.5]);
  assert.deepEqual(sums.get("b.sum"), [0, 0, 0]);
});

Deno.test("clipGradNorm returns the total norm on the device; clipGradValue clamps", async () => {
  const flat = threeParams();
  const b = flat.backend;
  b.write(flat.grads, new Float32Array([3, 0, 0, 4, 0, 0]));
  assert.deepEqual(await b.read(clipGradNorm(flat, 1)), Float32Array.of(5));
  const scaled = await b.read(flat.grads);
  assertClose6(scaled, [0.6, 0, 0, 0.8, 0, 0]);
  b.write(flat.grads, new Float32Array([3, -7, 0, 4, 0, 0]));
  assert.deepEqual(await b.read(clipGradNorm(flat, 100, "inf")), Float32Array.of(7));
  assert.deepEqual([...await b.read(flat.grads)], [3, -7, 0, 4, 0, 0]);
  clipGradValue(flat, 3.5);
  assert.deepEqual([...await b.read(flat.grads)], [3, -3.5, 0, 3.5, 0, 0]);
});

function assertClose6(actual: Float32Array, expected: number[]): void {
  expected.forEach((e, i) =>
    assert.ok(Math.abs(actual[i] - e) < 1e-6, `${i}: ${actual[i]} vs ${e}`)
  );
}

Deno.test("cubicInterpolate: the minimiser of the interpolating cubic, clamped to bounds", () => {
  // f(x) = (x − 1)², sampled at 0 and 3: the cubic is the parabola itself.
  assert.equal(cubicInterpolate(0, 1, -2, 3, 4, 4), 1);
  assert.equal(cubicInterpolate(3, 4, 4, 0, 1, -2), 1);
  assert.equal(cubicInterpolate(0, 1, -2, 3, 4, 4, [1.5, 2]), 1.5);
  // No real minimiser: the middle of the bounds.
  assert.equal(cubicInterpolate(0, 0, 1, 1, 2 / 3, 1), 0.5);
});

Deno.test("strongWolfe accepts a step meeting both conditions at once, else zooms in", async () => {
  // f(t) = (t − 2)² along d = 1 from t = 0: f = 4, gtd = −4.
  const f = (t: number) => ({ f: (t - 2) ** 2, g: `g@${t}`, gtd: 2 * (t - 2) });
  const calls: number[] = [];
  const at = (t: number) => {
    calls.push(t);
    return Promise.resolve(f(t));
  };
  const direct = await strongWolfe(at, 2, 4, "g0", -4, 1);
  assert.deepEqual([direct.t, direct.evals, direct.g], [2, 1, "g@2"]);
  calls.length = 0;
  const zoomed = await strongWolfe(at, 10, 4, "g0", -4, 1);
  assert.ok(zoomed.evals > 1 && Math.abs(zoomed.t - 2) < 1, `t ${zoomed.t}`);
  assert.equal(zoomed.g, `g@${zoomed.t}`);
  assert.equal(zoomed.f, (zoomed.t - 2) ** 2);
});

Deno.test("Embedding: rows by index, summed gradients for repeats, zero rows elsewhere", async () => {
  const b = createCpuBackend();
  const emb = new Embedding(4, 2, new Rng(0), { paddingIdx: -1 });
  const flat = bindParameters(b, emb.namedParameters());
  b.write(flat.params, Float32Array.of(1, 2, 3, 4, 5, 6, 0, 0));
  const out = emb.forward(tensor(b, [2, 0, 2, 3, 9], [5]));
  assert.deepEqual(out.shape, [5, 2]);
  assert.deepEqual([...await out.toArray()], [5, 6, 1, 2, 5, 6, 0, 0, 0, 0]);
  backward(sum(mul(out, tensor(b, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [5, 2]))));
  // Row 2 gets both of its lookups; row 1 none; the padding row 3 and index 9 nothing.
  assert.deepEqual([...await b.read(flat.grads)], [3, 4, 0, 0, 6, 8, 0, 0]);
  assertThrows(() => new Embedding(0, 2, new Rng(0)), UsageError, "num_embeddings");
  assertThrows(
    () => new Embedding(4, 2, new Rng(0), { paddingIdx: 4 }),
    UsageError,
    "padding_idx: expected an integer in [-4, 4), got 4",
  );
});

Deno.test("the catalogue's arguments all map to options the optimizers read", () => {
  for (const spec of optimizerCatalog) {
    assert.equal(new Set(spec.args.map((a) => a.name)).size, spec.args.length, spec.name);
    assert.equal(spec.pytorch.startsWith("optim."), true);
    assert.equal(spec.train, spec.name !== "sparse-adam");
  }
});
