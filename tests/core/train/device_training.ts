/**
 * Helpers of the device-data tests (tests/gpu/training_step_test.ts, tests/cpu/device_data_test.ts):
 * a digits-shaped dataset and an epoch trained from host batches or from a {@link DeviceData}.
 *
 * @module
 */

import type { Backend } from "../../../core/backend.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { batchIndices, gatherBatch, permutation } from "../../../core/data/sampler.ts";
import { buildTrainer, defaultTrainConfig } from "../../../core/train/config.ts";
import type { DeviceData } from "../../../core/train/device_data.ts";

/** The default batch size, the steps' size in these tests. */
export const BATCH = defaultTrainConfig.batchSize;

/** `count` 784-pixel samples of 10 classes, deterministic. */
export function digitsLike(count: number): Dataset {
  return {
    images: Float32Array.from({ length: count * 784 }, (_, i) => Math.abs(Math.sin(i)) % 1),
    labels: Float32Array.from({ length: count }, (_, i) => (i * 7) % 10),
    count,
    sampleShape: [784],
    classes: 10,
  };
}

/** One epoch's parameters (as bits) and metrics, batches from `source` (host batches when null). */
export async function trainEpoch(
  backend: Backend,
  ds: Dataset,
  source: DeviceData | null,
  config = { ...defaultTrainConfig, seed: 3 },
) {
  const trainer = buildTrainer(config, backend, ds);
  const perm = permutation(ds.count, config.seed, 0);
  const steps = Math.ceil(ds.count / BATCH);
  source?.beginEpoch((step) => batchIndices(perm, step, BATCH), steps);
  for (let step = 0; step < steps; step++) {
    const indices = batchIndices(perm, step, BATCH);
    const rows = indices.length;
    const batch = source ? { data: source, indices, rows } : { ...gatherBatch(ds, indices), rows };
    await trainer.step(batch, rows);
  }
  const params = await backend.read(trainer.flat.params);
  return {
    bits: Array.from(new Uint32Array(params.buffer, params.byteOffset, params.length)),
    metrics: await trainer.takeTrainMetrics(),
  };
}
