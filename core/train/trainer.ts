/**
 * `Trainer`: one model, one backend, one optimizer — the training step that a single
 * process runs and that every data-parallel rank runs on its shard. Loss and accuracy
 * accumulate on the device and are read back only when asked, never per step.
 *
 * @module
 */

import { backward, noGrad } from "../autograd.ts";
import type { Backend, Storage } from "../backend.ts";
import type { FlatParameters } from "../nn/flat_parameters.ts";
import type { Module } from "../nn/module.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { Tensor } from "../tensor.ts";
import { DeviceMetrics, type RunningMetrics } from "./device_metrics.ts";
import type { Objective } from "./objective.ts";

/** A batch shard on the host: `rows` samples of `features` values and their labels. */
export interface HostBatch {
  x: Float32Array;
  y: Float32Array;
  rows: number;
}

/**
 * Called between backward and the update with the flat gradient buffer; a data-parallel
 * rank sums gradients across ranks here.
 */
export type GradientReducer = (grads: Storage) => Promise<void>;

/** Runs training steps and evaluation for a model whose parameters are bound to `flat`. */
export class Trainer {
  private readonly backend: Backend;
  private readonly trainSums: DeviceMetrics;
  private readonly evalSums: DeviceMetrics;

  constructor(
    readonly model: Module,
    readonly flat: FlatParameters,
    readonly optimizer: Optimizer,
    readonly objective: Objective,
    readonly features: number,
  ) {
    this.backend = flat.backend;
    this.trainSums = new DeviceMetrics(this.backend);
    this.evalSums = new DeviceMetrics(this.backend);
  }

  /**
   * One step on this process's shard of a global batch of `globalBatch` samples:
   * forward, backward, optional cross-rank gradient reduction, update.
   */
  async step(batch: HostBatch, globalBatch: number, reduce?: GradientReducer): Promise<void> {
    this.model.train();
    this.optimizer.zeroGrad();
    if (batch.rows > 0) {
      const { logits, labels } = this.forward(batch);
      const loss = this.objective(logits, labels, globalBatch);
      backward(loss);
      this.trainSums.add(logits, labels, loss, globalBatch);
    }
    if (reduce) await reduce(this.flat.grads);
    this.optimizer.step();
    this.backend.endStep();
  }

  /** Mean training loss and accuracy since the last call. */
  takeTrainMetrics(): Promise<RunningMetrics> {
    return this.trainSums.take();
  }

  /** Loss and accuracy over `batches` in evaluation mode, without recording gradients. */
  evaluate(batches: Iterable<HostBatch>): Promise<RunningMetrics> {
    this.model.eval();
    noGrad(() => {
      for (const batch of batches) {
        const { logits, labels } = this.forward(batch);
        this.evalSums.add(logits, labels, this.objective(logits, labels, batch.rows), batch.rows);
        this.backend.endStep();
      }
    });
    return this.evalSums.take();
  }

  private forward(batch: HostBatch): { logits: Tensor; labels: Tensor } {
    const b = this.backend;
    const x = new Tensor(b, b.upload(batch.x), [batch.rows, this.features]);
    const labels = new Tensor(b, b.upload(batch.y), [batch.rows]);
    return { logits: this.model.forward(x), labels };
  }
}
