/**
 * Every regression objective of `train --task regression` against PyTorch
 * (tests/fixtures/regression_golden.json, made by tests/fixtures/make_golden_regression.py):
 * value and output gradient with `mean` and `sum` reductions on every backend; shards of a
 * batch sum to the whole batch's loss; and a bad name or argument names its flag.
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { UsageError } from "../../../core/errors.ts";
import { regressionObjective } from "../../../core/train/regression_objective.ts";
import type { RegressionReduction } from "../../../core/train/regression_settings.ts";
import { tensor } from "../../../core/tensor.ts";
import { assertClose } from "../asserts.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";
import { assertShardsSum, objectiveGoldenTests } from "./objective_cases.ts";

interface Case {
  loss: string;
  args: {
    huberDelta: number;
    smoothL1Beta: number;
    quantile: number;
    reduction: RegressionReduction;
  };
  shape: [number, number];
  outputs: number[];
  targets: number[];
  value: number;
  grad: number[];
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/regression_golden.json", import.meta.url)),
) as { cases: Case[] };
const backends = await backendsUnderTest();
describeBackends("regression_objective_test", backends);

const label = (c: Case) => `${c.loss} ${JSON.stringify(c.args)} [${c.shape}]`;

Deno.test("regression objectives: the fixture covers every loss with both reductions", () => {
  const seen = new Set(golden.cases.map((c) => `${c.loss} ${c.args.reduction}`));
  for (const loss of ["mse", "l1", "huber", "smooth-l1", "log-cosh", "quantile"]) {
    for (const r of ["mean", "sum"]) assert.ok(seen.has(`${loss} ${r}`), `${loss} ${r}`);
  }
});

objectiveGoldenTests(
  "regression objectives",
  "value and output gradient match PyTorch",
  backends,
  golden.cases,
  label,
  (backend, c) => {
    const input = tensor(backend, c.outputs, c.shape, true);
    const y = tensor(backend, c.targets, c.shape);
    return { input, loss: regressionObjective(c.loss, c.args)(input, y, c.shape[0]) };
  },
);

Deno.test("regression objectives: shards divided by the global batch sum to the whole batch's loss", async () => {
  const cpu = createCpuBackend();
  await assertShardsSum(golden.cases, label, async (c, from, to) => {
    const [n, t] = c.shape;
    const x = tensor(cpu, c.outputs.slice(from * t, to * t), [to - from, t]);
    const y = tensor(cpu, c.targets.slice(from * t, to * t), [to - from, t]);
    return (await regressionObjective(c.loss, c.args)(x, y, n).toArray())[0];
  });
});

Deno.test("regression objectives: the recorded loss is per target with either reduction", async () => {
  const cpu = createCpuBackend();
  const c = golden.cases.find((c) => c.loss === "l1" && c.shape[1] === 2)!;
  const x = tensor(cpu, c.outputs, c.shape), y = tensor(cpu, c.targets, c.shape);
  const [n, t] = c.shape;
  const recorded = async (reduction: RegressionReduction) => {
    const objective = regressionObjective("l1", { ...c.args, reduction });
    const value = (await objective(x, y, n).toArray())[0];
    return value * (objective.recordScale?.(n, t) ?? n) / n;
  };
  const perTarget = c.outputs.reduce((s, o, i) => s + Math.abs(o - c.targets[i]), 0) / (n * t);
  assertClose([await recorded("mean"), await recorded("sum")], [perTarget, perTarget], 1e-6, 1e-5);
});

Deno.test("regression objectives: a bad name or argument is a usage error naming the flag", () => {
  const ok = { huberDelta: 1, smoothL1Beta: 1, quantile: 0.5, reduction: "mean" as const };
  const cases: [() => unknown, string][] = [
    [() => regressionObjective("cross-entropy", ok), "loss: expected a regression loss (mse, l1"],
    [
      () => regressionObjective("quantile", { ...ok, quantile: 1 }),
      "quantile: expected a value in (0, 1)",
    ],
    [
      () => regressionObjective("huber", { ...ok, huberDelta: 0 }),
      "huberDelta: expected a value > 0",
    ],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof UsageError && e.message.includes(message), message);
  }
});
