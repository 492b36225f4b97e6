/**
 * Every `--loss` objective against PyTorch (tests/fixtures/objectives_golden.json, made by
 * tests/fixtures/make_golden_objectives.py): the value and the logits gradient with
 * PyTorch's mean reduction, on every backend; and the property data parallelism relies
 * on, that shards pre-divided by the global batch sum to the whole batch's loss.
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { UsageError } from "../../../core/errors.ts";
import { type ObjectiveArgs, objectiveByName } from "../../../core/train/objective.ts";
import { tensor } from "../../../core/tensor.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";
import { assertShardsSum, objectiveGoldenTests } from "./objective_cases.ts";

interface Case {
  loss: string;
  args: Partial<ObjectiveArgs>;
  shape: [number, number];
  logits: number[];
  labels: number[];
  value: number;
  grad: number[];
}

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/objectives_golden.json", import.meta.url)),
) as { cases: Case[] };
const backends = await backendsUnderTest();
describeBackends("objective_test", backends);

const label = (c: Case) => `${c.loss} ${JSON.stringify(c.args)}`;

objectiveGoldenTests(
  "objectives",
  "value and logits gradient match PyTorch",
  backends,
  golden.cases,
  label,
  (backend, c) => {
    const input = tensor(backend, c.logits, c.shape, true);
    const y = tensor(backend, c.labels, [c.shape[0]]);
    return { input, loss: objectiveByName(c.loss, c.args)(input, y, c.shape[0]) };
  },
);

Deno.test("objectives: shards divided by the global batch sum to the whole batch's loss", async () => {
  const cpu = createCpuBackend();
  await assertShardsSum(golden.cases, label, async (c, from, to) => {
    const [n, k] = c.shape;
    const x = tensor(cpu, c.logits.slice(from * k, to * k), [to - from, k]);
    const y = tensor(cpu, c.labels.slice(from, to), [to - from]);
    return (await objectiveByName(c.loss, c.args)(x, y, n).toArray())[0];
  });
});

Deno.test("objectives: a bad name or argument is a usage error naming the flag", () => {
  const cases: [() => unknown, string][] = [
    [() => objectiveByName("hinge"), "loss: expected one of cross-entropy, nll, kl-div"],
    [() => objectiveByName("multi-margin", { marginP: 3 }), "marginP: expected 1 or 2, got 3"],
    [() => objectiveByName("cross-entropy", { labelSmoothing: 2 }), "labelSmoothing"],
    [
      () => objectiveByName("multi-margin", { marginForm: "mean" as "sum" }),
      'marginForm: expected one of pytorch, sum, got "mean"',
    ],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof UsageError && e.message.includes(message), message);
  }
});
