/**
 * SyncBatchNorm for data-parallel training: every batch norm layer of a model normalises
 * with the statistics of the whole global batch, summed across ranks in the forward pass,
 * and sums the gradients of those statistics across ranks in the backward pass (PyTorch's
 * `nn.SyncBatchNorm`). The sums travel through the host: each costs a read-back and one
 * small all-reduce per layer and pass.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { backwardAsync, isGradEnabled } from "../autograd.ts";
import { matmul, reshape } from "../ops.ts";
import { type InputGrads, Tensor } from "../tensor.ts";
import { BatchNorm, type BatchStats, type StatsReducer } from "./batch_norm.ts";
import type { Module } from "./module.ts";

/** Which pass a cross-rank sum belongs to: the statistics, or their gradients. */
export type SyncPass = "forward" | "backward";

/**
 * Sums `values` in place across the job's ranks, every rank calling it for the same
 * layer and pass with the same length: `2C + 1` floats forward (Σx, Σx², count), `2C`
 * backward (the gradients of Σx and Σx²).
 */
export type LayerSum = (
  layer: number,
  pass: SyncPass,
  values: Float32Array<ArrayBuffer>,
) => Promise<void>;

/**
 * Makes every batch norm layer of `model` sum its training statistics across ranks
 * through `sum` (PyTorch's `SyncBatchNorm.convert_sync_batchnorm`); returns the layers.
 * Layer numbers follow registration order. The model must then train through
 * `forwardAsync` and `backwardAsync`, and a rank
 * without samples in a step must still call {@link syncWithoutSamples}.
 */
export function syncBatchNorms(model: Module, sum: LayerSum): BatchNorm[] {
  const layers = model.modulesOfType(BatchNorm);
  layers.forEach((bn, i) => bn.statsReducer = crossRankStats((pass, v) => sum(i, pass, v)));
  return layers;
}

/**
 * A rank with an empty shard takes its part in every layer's sums of a step (zeros),
 * forward and then backward, all layers at once: the other ranks meet them in their own
 * order.
 */
export async function syncWithoutSamples(
  layers: readonly BatchNorm[],
  backend: Backend,
): Promise<void> {
  const outputs = await Promise.all(layers.map((bn) => bn.forwardWithoutSamples(backend)));
  await Promise.all(outputs.map((y) => backwardAsync(y, zerosLike(y))));
}

/**
 * A differentiable {@link StatsReducer} over `sum`: forward, Σx, Σx² and the count are read
 * back and summed across ranks in one vector; backward, the gradients of both sums are.
 * Every rank records the backward sum even where its input needs no gradient, so all
 * ranks meet in it.
 */
export function crossRankStats(
  sum: (pass: SyncPass, values: Float32Array<ArrayBuffer>) => Promise<void>,
): StatsReducer {
  return async (local: BatchStats): Promise<BatchStats> => {
    const b = local.sum.backend;
    const c = local.sum.size;
    const [sums, squares] = await Promise.all([
      b.read(local.sum.storage),
      b.read(local.sumOfSquares.storage),
    ]);
    const host = new Float32Array(2 * c + 1);
    host.set(sums);
    host.set(squares, c);
    host[2 * c] = local.count;
    await sum("forward", host);
    const inputs = [local.sum, local.sumOfSquares];
    const node = {
      op: "sync_batch_norm_sums",
      inputs,
      backward: async (g: Tensor): Promise<InputGrads> => {
        const grads = new Float32Array(await b.read(g.storage));
        await sum("backward", grads);
        return inputs.map((input, k) =>
          input.requiresGrad ? new Tensor(b, b.upload(grads.slice(k * c, (k + 1) * c)), [c]) : null
        );
      },
    };
    const grad = isGradEnabled();
    const job = new Tensor(b, b.upload(host.slice(0, 2 * c)), [2, c], grad, grad ? node : null);
    return { sum: row(job, 0), sumOfSquares: row(job, 1), count: host[2 * c] };
  };
}

/** Row `k` of `[2, C]` `m` as `[C]`, differentiably (a one-hot row times `m`). */
function row(m: Tensor, k: number): Tensor {
  const b = m.backend;
  const pick = new Tensor(b, b.upload(Float32Array.of(1 - k, k)), [1, 2]);
  return reshape(matmul(pick, m), [m.shape[1]]);
}

function zerosLike(t: Tensor): Tensor {
  return new Tensor(t.backend, t.backend.zeros(t.size), t.shape);
}
