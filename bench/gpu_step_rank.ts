/**
 * Shared by the step benches (gpu_step.ts, gpu_step_procs.ts): the default MLP's training
 * step at batch 1024 on synthetic data held by the backend, as one rank of a data-parallel
 * job or alone, timed until the backend's work has finished.
 *
 * @module
 */

import type { Dataset } from "../core/data/dataset.ts";
import type { Trainer } from "../core/train/trainer.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import { DeviceDataset } from "../core/train/device_data.ts";
import type { GradientReducer } from "../coordinator/job/gradient_reducer.ts";
import type { Backend } from "../core/backend.ts";

/** The global batch. */
export const BATCH = 1024;
/** Warm-up rounds before timing. */
export const WARM = 2;
/** Timed rounds. */
export const STEPS = 15;

/** The median of `xs`. */
export const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const data: Dataset = {
  images: Float32Array.from({ length: BATCH * 784 }, (_, i) => Math.abs(Math.sin(i))),
  labels: Float32Array.from({ length: BATCH }, (_, i) => i % 10),
  count: BATCH,
  sampleShape: [784],
  classes: 10,
};
const indices = Uint32Array.from({ length: BATCH }, (_, i) => i);

/**
 * Median ms of each of `steps` over {@link STEPS} rounds after {@link WARM}, the steps
 * taking turns within a round so that a change in the machine's load hits them alike.
 */
export async function timed(...steps: (() => Promise<void>)[]): Promise<number[]> {
  const ms: number[][] = steps.map(() => []);
  for (let i = 0; i < WARM + STEPS; i++) {
    for (const [k, step] of steps.entries()) {
      const t0 = performance.now();
      await step();
      if (i >= WARM) ms[k].push(performance.now() - t0);
    }
  }
  return ms.map(median);
}

/** Waits for the backend's submitted work to finish: a read of one float. */
export function finisher(backend: Backend): () => Promise<void> {
  const probe = backend.upload(new Float32Array(1), true);
  return async () => void await backend.read(probe);
}

/** Floats in the default MLP's flat gradient. */
export function gradientSize(backend: Backend): number {
  return buildTrainer(defaultTrainConfig, backend, data).flat.grads.size;
}

/**
 * One training step of rank `rank` of `world` (its share of the batch's rows), gradients
 * summed by the reducer `reducerFor` gives (none alone), until the GPU has finished.
 */
export function rankStep(
  backend: Backend,
  rank = 0,
  world = 1,
  reducerFor?: (trainer: Trainer) => GradientReducer,
): () => Promise<void> {
  const trainer = buildTrainer(defaultTrainConfig, backend, data);
  const reducer = reducerFor?.(trainer);
  const onDevice = new DeviceDataset(backend, data);
  const share = BATCH / world;
  const rows = indices.subarray(rank * share, (rank + 1) * share);
  const finish = finisher(backend);
  return async () => {
    await trainer.step(
      { data: onDevice, indices: rows, rows: rows.length, firstRow: rank * share },
      BATCH,
      reducer?.reduceGradients,
    );
    if (reducer) reducer.step++;
    await finish();
  };
}
