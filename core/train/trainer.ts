/**
 * `Trainer`: one model, one backend, one optimizer — the training step that a single
 * process runs and that every data-parallel rank runs on its shard. Loss and accuracy
 * accumulate on the device and are read back only when asked, never per step.
 *
 * @module
 */

import { backwardAsync, noGrad } from "../autograd.ts";
import type { Backend, Storage } from "../backend.ts";
import type { FlatParameters, ParameterSlot } from "../nn/flat_parameters.ts";
import { BatchNorm } from "../nn/batch_norm.ts";
import { DropoutBase } from "../nn/dropout.ts";
import { UsageError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import { type LayerSum, syncBatchNorms, syncWithoutSamples } from "../nn/sync_batch_norm.ts";
import type { TrainingOptimizer } from "../optim/training_optimizer.ts";
import { add } from "../ops.ts";
import { Tensor } from "../tensor.ts";
import type { DeviceData } from "./device_data.ts";
import { DeviceMetrics, type RunningMetrics } from "./device_metrics.ts";
import { type NonFinitePolicy, NonFiniteWatch } from "./nonfinite.ts";
import { microBatches } from "./micro_batches.ts";
import type { Objective } from "./objective.ts";

/** A batch shard on the host: `rows` samples of `features` values and their labels. */
export interface HostBatch {
  /** Samples, `rows × features`. */
  x: Float32Array;
  /** Labels, one per row. */
  y: Float32Array;
  /** Samples in the batch. */
  rows: number;
  /** Where these rows start in the global batch (a rank's shard); 0 when absent. */
  firstRow?: number;
}

/** A batch shard whose samples the backend already holds: their indices into `data`. */
export interface DeviceBatch {
  /** The dataset on the device. */
  data: DeviceData;
  /** The batch's sample indices into it. */
  indices: Uint32Array;
  /** Samples in the batch. */
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
  private watch: NonFiniteWatch | null = null;
  private readonly dropouts: readonly DropoutBase[];

  /** A trainer of `model` (bound to `flat`) with `optimizer` and `objective`. */
  constructor(
    readonly model: Module,
    readonly flat: FlatParameters,
    /** A fused optimizer, or L-BFGS (one process only: it re-evaluates each batch). */
    readonly optimizer: TrainingOptimizer,
    readonly objective: Objective,
    /** One sample's shape as the model takes it, e.g. `[784]`. */
    readonly inputShape: readonly number[],
    /** Regression targets per sample (labels `[N, targets]`); 0 for class indices `[N]`. */
    readonly targets = 0,
  ) {
    this.backend = flat.backend;
    this.trainSums = new DeviceMetrics(this.backend);
    this.evalSums = new DeviceMetrics(this.backend);
    this.slotOf = new Map(flat.slots.map((s) => [s.parameter.value, s]));
    this.dropouts = model.modulesOfType(DropoutBase);
  }

  /** Channels of each batch norm layer, in model order: what `--sync-bn` sums per layer. */
  batchNormChannels(): number[] {
    return this.model.modulesOfType(BatchNorm).map((bn) => bn.numFeatures);
  }

  /**
   * Makes the model's batch norm layers sum their training statistics across ranks
   * through `sum` (`--sync-bn`); a step on a rank without samples still takes its part.
   */
  syncBatchNorm(sum: LayerSum): void {
    this.synced = syncBatchNorms(this.model, sum);
  }

  /**
   * Watches gradients and parameters for NaN and ±∞ from now on (`--on-nonfinite`), with
   * `stepsDone` steps already taken; returns the watch, whose `check` reads its flags.
   */
  watchNonFinite(policy: NonFinitePolicy, stepsDone: number): NonFiniteWatch {
    if (policy === "skip-step" && !this.optimizer.canDropStep) {
      throw new UsageError(
        "onNonFinite",
        "skip-step needs a fused optimizer (lbfgs evaluates each batch many times)",
      );
    }
    return this.watch = new NonFiniteWatch(this.flat, policy, stepsDone);
  }

  /**
   * One step on this process's shard of a global batch of `globalBatch` samples:
   * forward, backward, optional cross-rank gradient reduction (overlapping backward),
   * update. With `accumulate` > 1 the shard runs as that many micro-batches, their
   * gradients summed in place, and only the last one's backward reduces across ranks
   * (DDP's `no_sync` for the others). The shard's `firstRow` places its dropout masks
   * within the global batch's. The optimizer evaluates the step's closure once (L-BFGS as
   * often as its line search asks); the first evaluation counts in the training metrics.
   */
  async step(
    batch: HostBatch | DeviceBatch,
    globalBatch: number,
    reduce?: GradientReducer,
    accumulate = 1,
  ): Promise<void> {
    this.model.train();
    if (batch.rows === 0) this.skipDropouts(globalBatch);
    this.watch?.startStep();
    // Uploaded once: every evaluation (L-BFGS makes many) reads the same batch.
    const inputs = microBatches(batch, accumulate).map((part) => ({
      firstRow: part.firstRow ?? 0,
      ...this.upload(part),
    }));
    let first = true;
    await this.optimizer.step(async () => {
      this.optimizer.zeroGrad();
      let sync: GradientSync | undefined;
      let loss: Tensor | number = 0;
      const records: (() => void)[] = [];
      for (const [k, { firstRow, x, labels }] of inputs.entries()) {
        this.placeDropouts(firstRow, globalBatch, k > 0);
        const logits = await this.model.forwardAsync(x);
        const batchLoss = this.objective(logits, labels, globalBatch);
        // Started before the last backward, which reports each finished gradient to it.
        if (k === inputs.length - 1) sync = reduce?.(this.flat.grads, this.flat.slots);
        await backwardAsync(
          batchLoss,
          undefined,
          sync && ((leaf) => {
            const slot = this.slotOf.get(leaf);
            if (slot) sync!.ready(slot.offset, slot.size);
          }),
          k === 0, // zeroGrad above; later micro-batches add to the gradient
        );
        // The step's loss is the sum of its micro-batches' (each already over globalBatch).
        loss = typeof loss === "number" ? batchLoss : noGrad(() => add(loss as Tensor, batchLoss));
        const scale = this.recordScale(globalBatch, logits);
        if (first) records.push(() => this.trainSums.add(logits, labels, batchLoss, scale));
      }
      if (inputs.length === 0) {
        sync = reduce?.(this.flat.grads, this.flat.slots);
        if (this.synced.length > 0) await syncWithoutSamples(this.synced, this.backend);
      }
      first = false;
      await sync?.finish();
      // A dropped step (`skip-step`) counts in neither the parameters nor the metrics.
      if (!(await this.watch?.gradientsFinite() ?? true)) return null;
      for (const record of records) record();
      return loss;
    });
    this.backend.endStep();
  }

  /**
   * Places the dropout masks of rows from `firstRow` of the global batch; a further
   * micro-batch of the same step first moves back to the start of the step's masks.
   */
  private placeDropouts(firstRow: number, globalBatch: number, again: boolean): void {
    for (const layer of this.dropouts) {
      if (again) layer.rewindBatch(globalBatch);
      layer.shard(firstRow, globalBatch);
    }
  }

  /** A rank without rows still moves every stream past the global batch, as one process does. */
  private skipDropouts(globalBatch: number): void {
    for (const layer of this.dropouts) layer.skipBatch(globalBatch);
  }

  /**
   * Reads the non-finite flags when {@link Trainer.watchNonFinite} was called, throwing a
   * `NonFiniteError` that names the first step and parameter that were not finite.
   */
  async checkNonFinite(): Promise<void> {
    await this.watch?.check();
  }

  /** Steps dropped so far because their gradient was not finite (`skip-step`). */
  get skippedSteps(): number {
    return this.watch?.skipped ?? 0;
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
        const loss = this.objective(logits, labels, batch.rows);
        this.evalSums.add(logits, labels, loss, this.recordScale(batch.rows, logits));
        this.backend.endStep();
      }
    });
    return this.evalSums.take();
  }

  /** What turns the objective's value into the sum of per-sample losses that metrics record. */
  private recordScale(rows: number, logits: Tensor): number {
    return this.objective.recordScale?.(rows, logits.shape[1]) ?? rows;
  }

  /** Forward pass of a host batch, without gradients. */
  private forward(batch: HostBatch): { logits: Tensor; labels: Tensor } {
    const { x, labels } = this.upload(batch);
    return { logits: this.model.forward(x), labels };
  }

  /** The batch's inputs and labels as tensors on the backend. */
  private upload(batch: HostBatch | DeviceBatch): { x: Tensor; labels: Tensor } {
    const b = this.backend;
    const { x, y } = "indices" in batch
      ? batch.data.gather(batch.indices)
      : { x: b.upload(batch.x), y: b.upload(batch.y) };
    return {
      x: new Tensor(b, x, [batch.rows, ...this.inputShape]),
      labels: new Tensor(b, y, this.targets ? [batch.rows, this.targets] : [batch.rows]),
    };
  }
}
