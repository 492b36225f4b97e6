/**
 * The WebGPU training step as a whole: the default MLP step's dispatch count (the fused
 * loss and metric tally, and gradients copied into the cleared flat buffer rather than
 * added, keep it at 11), and batches gathered from a dataset held on the
 * device training bitwise like batches gathered on the host and uploaded.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Dataset } from "../../core/data/dataset.ts";
import { batchIndices, gatherBatch, permutation } from "../../core/data/sampler.ts";
import { buildTrainer, defaultTrainConfig } from "../../core/train/config.ts";
import { DeviceDataset } from "../../core/train/device_data.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { test: gpuTest } = await gpuUnderTest("tests/gpu/training_step_test.ts");

const BATCH = defaultTrainConfig.batchSize;

function dataset(count: number): Dataset {
  return {
    images: Float32Array.from({ length: count * 784 }, (_, i) => Math.abs(Math.sin(i)) % 1),
    labels: Float32Array.from({ length: count }, (_, i) => (i * 7) % 10),
    count,
    sampleShape: [784],
    classes: 10,
  };
}

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
  const ds = dataset(150);
  const config = { ...defaultTrainConfig, seed: 3 };
  const [onHost, fromDevice] = [buildTrainer(config, gpu, ds), buildTrainer(config, gpu, ds)];
  const onDevice = new DeviceDataset(gpu, ds);
  const perm = permutation(ds.count, config.seed, 0);
  for (let step = 0; step < 3; step++) {
    const indices = batchIndices(perm, step, BATCH);
    const rows = indices.length;
    await onHost.step({ ...gatherBatch(ds, indices), rows }, rows);
    await fromDevice.step({ data: onDevice, indices, rows }, rows);
  }
  const [a, b] = [await gpu.read(onHost.flat.params), await gpu.read(fromDevice.flat.params)];
  assert.deepEqual(new Uint32Array(b.buffer), new Uint32Array(a.buffer));
  const [ma, mb] = [await onHost.takeTrainMetrics(), await fromDevice.takeTrainMetrics()];
  assert.deepEqual(mb, ma);
  assert.equal(ma.count, 150);
});
