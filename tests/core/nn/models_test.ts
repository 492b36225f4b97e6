/**
 * `--model` by name: the named convolutional networks have PyTorch's state_dict names,
 * shapes and parameter counts (tests/fixtures/models_golden.json, made by
 * tests/fixtures/make_golden_models.py from bench/torch_conv.py's definitions); the layer
 * stack form builds what it says and rejects what it cannot build; each named model takes
 * a training step on both backends.
 */

import assert from "node:assert/strict";
import { UsageError } from "../../../core/errors.ts";
import { buildModel, type ModelSpec } from "../../../core/nn/models.ts";
import { Rng } from "../../../core/rng.ts";
import { buildTrainer, defaultTrainConfig } from "../../../core/train/config.ts";
import { backendsUnderTest } from "../backends.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/models_golden.json", import.meta.url)),
) as {
  cases: {
    model: string;
    sample: number[];
    classes: number;
    state: [string, number[]][];
    parameters: number;
  }[];
};

const spec = (model: string, more: Partial<ModelSpec> = {}): ModelSpec => ({
  ...defaultTrainConfig,
  model,
  ...more,
});

Deno.test("models: named models have PyTorch's state_dict names, shapes and size", () => {
  for (const c of golden.cases) {
    const data = { sampleShape: c.sample, classes: c.classes };
    const { model, inputShape } = buildModel(spec(c.model), new Rng(0), data);
    assert.deepEqual(inputShape, c.sample);
    const state = [
      ...model.namedParameters().map(([n, p]) => [n, [...p.shape]]),
      ...model.namedBuffers().map(([n, b]) => [n, [...b.shape]]),
    ];
    const sorted = (xs: unknown[][]) => xs.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(sorted(state), sorted(c.state), `${c.model} ${c.sample}`);
    const count = model.parameters().reduce((s, p) => s + p.size, 0);
    assert.equal(count, c.parameters, c.model);
  }
});

Deno.test("models: the layer-stack form builds what it says, and names what it cannot build", () => {
  const data = { sampleShape: [1, 8, 8], classes: 3 };
  const { model } = buildModel(
    spec(
      "conv(4,3,padding=1,bias=false),bn,leaky-relu,maxpool(2),dropout2d(0.1),flatten,linear(3)",
    ),
    new Rng(0),
    data,
  );
  assert.deepEqual(model.namedParameters().map(([n, p]) => `${n} ${p.shape}`), [
    "0.weight 4,1,3,3",
    "1.weight 4",
    "1.bias 4",
    "6.weight 3,64",
    "6.bias 3",
  ]);
  const bad: [string, string][] = [
    ["conv(4,3),linear(3)", "linear needs flat samples, got [4,6,6]: add flatten"],
    ["conv(4,9),flatten,linear(3)", "layer 0 (conv(4,9)) leaves no output for input [1,8,8]"],
    ["conv(4),flatten,linear(3)", 'conv needs "kernel"'],
    ["conv(4,3,pad=1),flatten,linear(3)", 'conv has no argument "pad"'],
    ["flatten,linear(4)", "gives outputs of [4] per sample, the data has 3 classes"],
    ["flatten,swish,linear(3)", 'unknown layer "swish"'],
    ["conv(4,3", 'cannot read layer "conv(4,3"'],
  ];
  for (const [stack, message] of bad) {
    assert.throws(
      () => buildModel(spec(stack), new Rng(0), data),
      (e) =>
        e instanceof UsageError && e.message.startsWith("model: ") && e.message.includes(message),
      `${stack} → ${message}`,
    );
  }
  assert.throws(
    () => buildModel(spec("lenet5"), new Rng(0)),
    /lenet5 needs the data's sample shape/,
  );
  assert.throws(
    () => buildModel(spec("resnet20"), new Rng(0), { sampleShape: [784], classes: 10 }),
    /resnet20 needs \[C, H, W\] samples/,
  );
});

Deno.test("models: --init fills every weight matrix and kernel; --dropout adds MLP dropout", () => {
  const data = { sampleShape: [784], classes: 10 };
  const plain = buildModel(spec("784-32-10"), new Rng(0), data).model;
  const ones = buildModel(spec("784-32-10", { init: "ones" }), new Rng(0), data).model;
  for (const [name, p] of ones.namedParameters()) {
    const all1 = p.init.every((v) => v === 1);
    assert.equal(all1, name.endsWith("weight"), name);
  }
  const drop = buildModel(spec("784-32-10", { dropout: 0.5 }), new Rng(0), data).model;
  assert.equal(plain.namedParameters().length, drop.namedParameters().length);
  assert.deepEqual(drop.namedParameters().map(([n]) => n), [
    "0.weight",
    "0.bias",
    "3.weight",
    "3.bias",
  ]);
});

for (const b of await backendsUnderTest()) {
  Deno.test({
    name: `models: lenet5, allcnn-c and resnet20 take a training step on ${b.name}`,
    ignore: !b.create,
    async fn() {
      const backend = await b.create!();
      for (
        const [model, sampleShape] of [
          ["lenet5", [1, 28, 28]],
          ["allcnn-c", [3, 16, 16]],
          ["resnet20", [3, 16, 16]],
        ] as const
      ) {
        const trainer = buildTrainer({ ...defaultTrainConfig, model }, backend, {
          sampleShape,
          classes: 10,
        });
        const size = sampleShape.reduce((x: number, y: number) => x * y, 1);
        const batch = {
          x: Float32Array.from({ length: 2 * size }, (_, i) => Math.sin(i)),
          y: Float32Array.of(3, 7),
          rows: 2,
        };
        await trainer.step(batch, 2);
        const { loss } = await trainer.takeTrainMetrics();
        assert.ok(Number.isFinite(loss) && loss > 0, `${model}: loss ${loss}`);
      }
      backend.destroy();
    },
  });
}
