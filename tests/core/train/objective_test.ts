/**
 * Every `--loss` objective against PyTorch (tests/fixtures/objectives_golden.json, made by
 * tests/fixtures/make_golden_objectives.py): the value and the logits gradient with
 * PyTorch's mean reduction, on every backend; and the property data parallelism relies
 * on, that shards pre-divided by the global batch sum to the whole batch's loss.
 */

import assert from "node:assert/strict";
import { backward } from "../../../core/autograd.ts";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { UsageError } from "../../../core/errors.ts";
import { type ObjectiveArgs, objectiveByName } from "../../../core/train/objective.ts";
import { tensor } from "../../../core/tensor.ts";
import { assertClose } from "../asserts.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";

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

for (const b of backends) {
  Deno.test({
    name: `objectives on ${b.name}: value and logits gradient match PyTorch`,
    ignore: !b.create,
    async fn() {
      const backend = await b.create!();
      const { atol, rtol } = b.golden.elementwise;
      // Every case's read-backs are issued before any is awaited: from a GPU they then wait
      // out one map latency together instead of one each.
      const reads = golden.cases.map((c) => {
        const x = tensor(backend, c.logits, c.shape, true);
        const y = tensor(backend, c.labels, [c.shape[0]]);
        const loss = objectiveByName(c.loss, c.args)(x, y, c.shape[0]);
        backward(loss);
        return Promise.all([loss.toArray(), x.grad!.toArray()]);
      });
      for (const [i, [value, grad]] of (await Promise.all(reads)).entries()) {
        const c = golden.cases[i];
        assertClose(value, [c.value], atol, rtol, `${label(c)} value`);
        assertClose(grad, c.grad, atol, rtol, `${label(c)} grad`);
      }
      backend.destroy();
    },
  });
}

Deno.test("objectives: shards divided by the global batch sum to the whole batch's loss", async () => {
  const cpu = createCpuBackend();
  for (const c of golden.cases) {
    const [n, k] = c.shape;
    const objective = objectiveByName(c.loss, c.args);
    const part = async (from: number, to: number) => {
      const x = tensor(cpu, c.logits.slice(from * k, to * k), [to - from, k]);
      const y = tensor(cpu, c.labels.slice(from, to), [to - from]);
      return (await objective(x, y, n).toArray())[0];
    };
    const whole = await part(0, n);
    const split = (await part(0, 2)) + (await part(2, n));
    assertClose([split], [whole], 1e-6, 1e-5, label(c));
  }
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
