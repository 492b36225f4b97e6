/**
 * Batch norm and dropout keep the WebGPU step's promises: a training step (forward with the
 * running-statistics update and a fresh dropout mask, then backward) submits nothing until
 * the step ends, so reads nothing back and uploads no mask, and once warm creates no
 * buffers or pipelines.
 *
 * @module
 */

import assert from "node:assert/strict";
import { backward } from "../../core/autograd.ts";
import { BatchNorm2d } from "../../core/nn/batch_norm.ts";
import { Dropout, Dropout2d } from "../../core/nn/dropout.ts";
import { bindParameters } from "../../core/nn/flat_parameters.ts";
import type { Module } from "../../core/nn/module.ts";
import { Sequential } from "../../core/nn/sequential.ts";
import { sum } from "../../core/ops.ts";
import { Rng } from "../../core/rng.ts";
import { Tensor } from "../../core/tensor.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { gpu } = await gpuUnderTest("tests/gpu/norm_dropout_test.ts");

/** Forward and backward of `model` on a batch that already lives on the device. */
function step(model: Module, x: Tensor): void {
  backward(sum(model.forward(x)));
}

Deno.test({
  name:
    "webgpu: a BatchNorm2d + Dropout2d + Dropout step reads nothing back and, warm, creates nothing",
  ignore: gpu === null,
  async fn() {
    const g = gpu!;
    try {
      const rng = new Rng(0);
      const model = new Sequential(
        new BatchNorm2d(3),
        new Dropout2d(rng, { p: 0.2 }),
        new Dropout(rng, { p: 0.5 }),
      );
      const flat = bindParameters(g, model.namedParameters());
      const data = Float32Array.from({ length: 4 * 3 * 5 * 5 }, (_, i) => Math.cos(i));
      const x = new Tensor(g, g.upload(data, true), [4, 3, 5, 5]);
      step(model, x);
      g.endStep();
      const before = { ...g.stats };
      step(model, x);
      assert.equal(g.stats.submits, before.submits, "nothing was submitted, so nothing read back");
      g.endStep();
      assert.equal(g.stats.submits, before.submits + 1);
      assert.equal(g.stats.buffersCreated, before.buffersCreated, "no buffers created");
      assert.equal(g.stats.pipelinesCreated, before.pipelinesCreated, "no pipelines created");
      console.log(`dispatches per step: ${g.stats.dispatches - before.dispatches}`);
      const tracked = model.namedBuffers().find(([n]) => n === "0.num_batches_tracked")![1];
      assert.deepEqual(Array.from(await tracked.read()), [2]);
      assert.ok((await g.read(flat.grads)).some((v) => v !== 0), "γ and β got gradients");
    } finally {
      g.destroy();
    }
  },
});
