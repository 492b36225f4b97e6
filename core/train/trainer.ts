/**
 * `Trainer`: one model, one backend, one optimizer — the training step that a single
 * process runs and that every data-parallel rank runs on its shard. Loss and accuracy
 * accumulate on the device and are read back only when asked, never per step.
 *
 * @module
 */

import { backward, backwardAsync, noGrad } from "../autograd.ts";
import type { Backend, Storage } from "../backend.ts";
import type { FlatParameters, ParameterSlot } from "../nn/flat_parameters.ts";
import type { BatchNorm } from "../nn/batch_norm.ts";
import { DropoutBase } from "../nn/dropout.ts";
import type { Module } from "../nn/module.ts";
import { type LayerSum, syncBatchNorms, syncWithoutSamples } from "../nn/sync_batch_norm.ts";
import { LBFGS } from "../optim/lbfgs.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { Tensor } from "../tensor.ts";
import type { DeviceData } from "./device_data.ts";
import { DeviceMetrics, type RunningMetrics } from "./device_metrics.ts";
import type { Objective } from "./objective.ts";

/** A batch shard on the host: `rows` samples of `features` values and their labels. */
export interface HostBatch {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  /** Where these rows start in the global batch (a rank's shard); 0 when absent. */
  firstRow?: number;
}

/** A batch shard whose samples the backend already holds: their indices into `data`. */
export interface DeviceBatch {
  data: DeviceData;
  indices: Uint32Array;
  rows: number;
  /** Where these rows start in the global batch (a rank's shard); 0 when absent. */
  firstRow?: number;
}

/** One step's cross-rank gradient sum, under way while backward still runs. */
export interface GradientSync {
  /** Backward has finished the gradient of flat floats `[offset, offset + size)`. */
  ready(offset: number, size: number): void;
  /** Resolves once the whole flat gradient holds the sum over ranks. */
  finish(): Promise<void>;
}

/**
 * Starts a step's gradient sum over the flat gradient buffer laid out as `slots`, before
 * backward; a data-parallel rank sums across ranks here, bucket by bucket as `ready`
 * reports them.
 */
export type GradientReducer = (grads: Storage, slots: readonly ParameterSlot[]) => GradientSync;

/** Runs training steps and evaluation for a model whose parameters are bound to `flat`. */
export class Trainer {
  private readonly backend: Backend;
  private readonly trainSums: DeviceMetrics;
  private readonly evalSums: DeviceMetrics;
  private readonly slotOf: Map<Tensor, ParameterSlot>;
  private synced: readonly BatchNorm[] = [];
  private readonly dropouts: readonly DropoutBase[];

  constructor(
    readonly model: Module,
    readonly flat: FlatParameters,
    /** A fused optimizer, or L-BFGS (one process only: it re-evaluates each batch). */
    readonly optimizer: Optimizer | LBFGS,
    readonly objective: Objective,
    /** One sample's shape as the model takes it, e.g. `[784]`. */
    readonly inputShape: readonly number[],
  ) {
    this.backend = flat.backend;
    this.trainSums = new DeviceMetrics(this.backend);
    this.evalSums = new DeviceMetrics(this.backend);
    this.slotOf = new Map(flat.slots.map((s) => [s.parameter.value, s]));
    this.dropouts = model.modulesOfType(DropoutBase);
  }

  /**
   * Makes the model's batch norm layers sum their training statistics across ranks
   * through `sum` (`--sync-bn`); a step on a rank without samples still takes its part.
   */
  syncBatchNorm(sum: LayerSum): void {
    this.synced = syncBatchNorms(this.model, sum);
  }

  /**
   * One step on this process's shard of a global batch of `globalBatch` samples:
   * forward, backward, optional cross-rank gradient reduction (overlapping backward),
   * update. The shard's `firstRow` places its dropout masks within the global batch's.
   */
  async step(
    batch: HostBatch | DeviceBatch,
    globalBatch: number,
    reduce?: GradientReducer,
  ): Promise<void> {
    this.model.train();
    this.placeDropouts(batch, globalBatch);
    if (this.optimizer instanceof LBFGS) return await this.lbfgsStep(this.optimizer, batch);
    this.optimizer.zeroGrad();
    const sync = reduce?.(this.flat.grads, this.flat.slots);
    if (batch.rows > 0) {
      const { x, labels } = this.upload(batch);
      const logits = await this.model.forwardAsync(x);
      const loss = this.objective(logits, labels, globalBatch);
      await backwardAsync(
        loss,
        undefined,
        sync && ((leaf) => {
          const slot = this.slotOf.get(leaf);
          if (slot) sync.ready(slot.offset, slot.size);
        }),
        true, // zeroGrad above
      );
      this.trainSums.add(logits, labels, loss, globalBatch);
    } else if (this.synced.length > 0) {
      await syncWithoutSamples(this.synced, this.backend);
    }
    await sync?.finish();
    this.optimizer.step();
    this.backend.endStep();
  }

  /**
   * Places the step's dropout masks: a shard draws its rows' slice of the global batch's
   * masks, and a rank without rows still moves every stream past the global batch, so
   * that N ranks drop what one process does.
   */
  private placeDropouts(batch: HostBatch | DeviceBatch, globalBatch: number): void {
    for (const layer of this.dropouts) {
      if (batch.rows > 0) layer.shard(batch.firstRow ?? 0, globalBatch);
      else layer.skipBatch(globalBatch);
    }
  }

  /**
   * One L-BFGS step on the whole of `batch` in this process: the closure re-evaluates the
   * model on it as often as the line search asks; the first evaluation counts in the
   * training metrics.
   */
  private async lbfgsStep(lbfgs: LBFGS, batch: HostBatch | DeviceBatch): Promise<void> {
    let first = true;
    const { x, labels } = this.upload(batch); // once: every evaluation reads the same batch
    await lbfgs.step(() => {
      lbfgs.zeroGrad();
      const logits = this.model.forward(x);
      const loss = this.objective(logits, labels, batch.rows);
      backward(loss, undefined, undefined, true);
      if (first) this.trainSums.add(logits, labels, loss, batch.rows);
      first = false;
      return loss;
    });
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
    const { x, labels } = this.upload(batch);
    return { logits: this.model.forward(x), labels };
  }

  private upload(batch: HostBatch | DeviceBatch): { x: Tensor; labels: Tensor } {
    const b = this.backend;
    const { x, y } = "indices" in batch
      ? batch.data.gather(batch.indices)
      : { x: b.upload(batch.x), y: b.upload(batch.y) };
    return {
      x: new Tensor(b, x, [batch.rows, ...this.inputShape]),
      labels: new Tensor(b, y, [batch.rows]),
    };
  }
}
