/**
 * The WebGPU training step as a whole: the default MLP step's dispatch count (the fused
 * loss and metric tally, and gradients copied into the cleared flat buffer rather than
 * added, keep it at 11), and batches gathered from a dataset held on the
 * device training bitwise like batches gathered on the host and uploaded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { batchIndices, gatherBatch, permutation } from "../../core/data/sampler.ts";
import { buildTrainer, defaultTrainConfig } from "../../core/train/config.ts";
import { ChunkedDeviceData, deviceData, DeviceDataset } from "../../core/train/device_data.ts";
import {
  BATCH,
  digitsLike as dataset,
  trainEpoch as train,
} from "../core/train/device_training.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { test: gpuTest } = await gpuUnderTest("tests/gpu/training_step_test.ts");

gpuTest(
  "the default MLP step (784-128-10, batch 64, SGD momentum): 11 dispatches uploaded, 12 gathered",
  async (gpu) => {
    const ds = dataset(BATCH * 3);
    const trainer = buildTrainer(defaultTrainConfig, gpu, ds);
    const onDevice = new DeviceDataset(gpu, ds);
    const indices = batchIndices(permutation(ds.count, 0, 0), 0, BATCH);
    const hostBatch = { ...gatherBatch(ds, indices), rows: BATCH };
    const deviceBatch = { data: onDevice, indices, rows: BATCH };
    await trainer.step(hostBatch, BATCH); // warm: pipelines and buffers created
    const counted = async (batch: typeof hostBatch | typeof deviceBatch) => {
      const before = { ...gpu.stats };
      await trainer.step(batch, BATCH);
      return {
        dispatches: gpu.stats.dispatches - before.dispatches,
        submits: gpu.stats.submits - before.submits,
      };
    };
    assert.deepEqual(await counted(hostBatch), { dispatches: 11, submits: 1 });
    // The on-device gather adds one dispatch per binding-sized shard of the images.
    assert.deepEqual(await counted(deviceBatch), { dispatches: 12, submits: 1 });
    await trainer.takeTrainMetrics();
  },
);

gpuTest("batches gathered on the device train bitwise like uploaded host batches", async (gpu) => {
  const ds = dataset(330); // 6 steps, the last one short
  const onHost = await train(gpu, ds, null);
  assert.equal(onHost.metrics.count, 330);
  const whole = await train(gpu, ds, new DeviceDataset(gpu, ds));
  assert.deepEqual(whole, onHost, "whole dataset on the device");
  const chunked = await train(gpu, ds, new ChunkedDeviceData(gpu, ds, BATCH, 2));
  assert.deepEqual(chunked, onHost, "chunks of 2 steps in two buffers");
});

gpuTest(
  "L-BFGS evaluates a chunked device batch as often as it likes, bitwise the host's",
  async (gpu) => {
    const ds = dataset(128); // two steps of at most 3 evaluations each
    const config = {
      ...defaultTrainConfig,
      seed: 3,
      optimizer: "lbfgs" as const,
      lr: 0.5,
      optimizerArgs: { maxIter: 2, maxEval: 3 },
    };
    const onHost = await train(gpu, ds, null, config);
    const chunked = await train(gpu, ds, new ChunkedDeviceData(gpu, ds, BATCH, 1), config);
    assert.deepEqual(chunked, onHost);
  },
);

gpuTest(
  "deviceData: the whole set within the budget, else chunks, never with augmentation",
  (gpu) => {
    const ds = dataset(256);
    const bytes = 256 * 785 * 4;
    const plain = { crop: 0, flip: false };
    assert.ok(deviceData(gpu, ds, plain, BATCH, bytes) instanceof DeviceDataset);
    const chunked = deviceData(gpu, ds, plain, BATCH, bytes / 2);
    assert.ok(chunked instanceof ChunkedDeviceData);
    assert.equal(chunked.chunkSteps, 1);
    assert.equal(deviceData(gpu, ds, plain, BATCH, 100), null, "not one step's pair fits");
    assert.equal(deviceData(gpu, ds, { crop: 0, flip: true }, BATCH, bytes), null);
  },
);

gpuTest("a chunked source refuses a step its epoch plan does not hold", (gpu) => {
  const ds = dataset(128);
  const source = new ChunkedDeviceData(gpu, ds, BATCH, 1);
  const perm = permutation(ds.count, 0, 0);
  source.beginEpoch((step) => batchIndices(perm, step, BATCH), 2);
  assert.throws(() => source.gather(batchIndices(perm, 1, BATCH)), /step 0 of the epoch/);
});

gpuTest("a chunked source passes over steps without rows and stages every chunk", async (gpu) => {
  const ds = dataset(200);
  const source = new ChunkedDeviceData(gpu, ds, 50, 1);
  const shards = [[3, 1], [], [], [7], [199, 0, 5]].map((s) => Uint32Array.from(s));
  source.beginEpoch((step) => shards[step], shards.length);
  for (const shard of shards.filter((s) => s.length > 0)) {
    const { y } = source.gather(shard);
    assert.deepEqual(Array.from(await gpu.read(y)), Array.from(shard, (k) => ds.labels[k]));
  }
});
