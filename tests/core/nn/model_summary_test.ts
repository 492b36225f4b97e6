import assert from "node:assert/strict";
import { summarizeModel } from "../../../core/nn/model_summary.ts";
import { buildModel } from "../../../core/nn/models.ts";
import { Rng } from "../../../core/rng.ts";
import { defaultTrainConfig } from "../../../core/train/config.ts";

// tests/fixtures/make_golden_summary.py: the same models built in PyTorch.
const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/summary_golden.json", import.meta.url)),
) as {
  cases: {
    model: string;
    activation: string;
    sample: number[];
    classes: number;
    input: number[];
    layers: { type: string; output: number[]; params: number }[];
    params: number;
  }[];
};

for (const c of golden.cases) {
  Deno.test(`summary of ${c.model} on [${c.sample}] matches PyTorch layer by layer`, () => {
    const spec = { ...defaultTrainConfig, model: c.model, activation: c.activation };
    const built = buildModel(spec, new Rng(0), { sampleShape: c.sample, classes: c.classes });
    const summary = summarizeModel(built);
    assert.deepEqual(summary.input, c.input);
    assert.deepEqual(
      summary.layers.map(({ type, output, params }) => ({ type, output, params })),
      c.layers,
    );
    assert.equal(summary.params, c.params);
    assert.deepEqual(summary.layers.map((l) => l.index), c.layers.map((_, i) => i));
  });
}
