/**
 * Batch normalisation over the channel dimension (dim 1), PyTorch's `nn.BatchNorm1d` and
 * `nn.BatchNorm2d`: `y = (x − E[x]) / √(Var[x] + eps) · γ + β` per channel.
 *
 * Training normalises with the batch's biased variance and moves the running statistics
 * toward the batch's (unbiased) ones; evaluation normalises with the running statistics.
 * The forward pass is the backend's fused batch norm op (`core/ops_norm.ts`), forward and
 * backward one kernel each; the running statistics are updated in place on the device by
 * backend ops that autograd never sees, so a step reads nothing back — except with a
 * `statsReducer` (SyncBatchNorm, `sync_batch_norm.ts`), whose sums cross ranks through
 * the host and whose normalisation is composed from differentiable ops.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { ShapeError, UsageError } from "../errors.ts";
import type { Storage } from "../backend.ts";
import { add, affine, mul, relu, reshape, scale, sub, sum, unary } from "../ops.ts";
import { batchNorm } from "../ops_norm.ts";
import { sizeOf } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { ModuleBuffer } from "./buffer.ts";
import { type ForwardPass, Module } from "./module.ts";
import { Parameter } from "./parameter.ts";

/** Options of the batch norm layers, PyTorch's arguments in camelCase. */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the batch statistics in the running averages (default 0.1); null gives a
   * cumulative moving average (PyTorch's `momentum=None`).
   */
  momentum?: number | null;
  /** Learn a per-channel scale γ (`weight`, init 1) and shift β (`bias`, init 0) (default true). */
  affine?: boolean;
  /**
   * Keep `running_mean`, `running_var` and `num_batches_tracked` buffers and normalise
   * with them in evaluation mode (default true); without them both modes use batch statistics.
   */
  trackRunningStats?: boolean;
}

/** Per-channel sums of one batch: what a data-parallel SyncBatchNorm sums across ranks. */
export interface BatchStats {
  /** Σx over every value of each channel, shape `[C]`. */
  sum: Tensor;
  /** Σx² over every value of each channel, shape `[C]`. */
  sumOfSquares: Tensor;
  /** How many values of each channel the sums cover (N·L, or N·H·W). */
  count: number;
}

/**
 * Turns this rank's {@link BatchStats} into the job's (an all-reduce across ranks, see
 * `crossRankStats`). The sums are autograd tensors: for correct gradients the reducer
 * must be differentiable, its backward summing the incoming gradients across ranks too,
 * as SyncBatchNorm's does.
 */
export type StatsReducer = (local: BatchStats) => Promise<BatchStats>;

/** What batch norm layers share; {@link BatchNorm1d} and {@link BatchNorm2d} fix the input rank. */
export abstract class BatchNorm extends Module {
  /** Added to the variance before its square root. */
  readonly eps: number;
  /** Running-statistics momentum; null: a cumulative average. */
  readonly momentum: number | null;
  /** Whether it has a learnable γ and β. */
  readonly affine: boolean;
  /** Whether it keeps running statistics for evaluation. */
  readonly trackRunningStats: boolean;
  /** γ, `[C]`, or null without `affine`. */
  readonly weight: Parameter | null;
  /** β, `[C]`, or null without `affine`. */
  readonly bias: Parameter | null;
  /** Running mean, `[C]`, or null without `trackRunningStats`. */
  readonly runningMean: ModuleBuffer | null;
  /** Running unbiased variance, `[C]`, or null without `trackRunningStats`. */
  readonly runningVar: ModuleBuffer | null;
  /**
   * Training batches seen, `[]`. PyTorch keeps an int64; safetensors files here hold float32
   * only, which counts exactly up to 2²⁴ batches.
   */
  readonly numBatchesTracked: ModuleBuffer | null;
  /**
   * In training, sums the per-channel statistics across data-parallel ranks before they
   * are used (SyncBatchNorm, see `syncBatchNorms`; training then goes through
   * `forwardAsync`); null (default) uses this process's batch alone.
   */
  statsReducer: StatsReducer | null = null;

  /** The layer's PyTorch name, for messages. */
  protected abstract readonly kind: string;
  /** Input ranks the layer accepts. */
  protected abstract readonly ranks: readonly number[];

  /** `numFeatures`: channels (dim 1 of the input). */
  constructor(readonly numFeatures: number, options: BatchNormOptions = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    const where = new.target.name;
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new UsageError(where, `num_features must be a positive integer, got ${numFeatures}`);
    }
    if (!Number.isFinite(this.eps) || this.eps < 0) {
      throw new UsageError(where, `eps must be a finite number ≥ 0, got ${this.eps}`);
    }
    const m = this.momentum;
    if (m !== null && !(Number.isFinite(m) && m >= 0 && m <= 1)) {
      throw new UsageError(where, `momentum must be a number in [0, 1] or null, got ${m}`);
    }
    const c = numFeatures;
    this.weight = this.affine
      ? this.registerParameter("weight", new Parameter([c], new Float32Array(c).fill(1)))
      : null;
    this.bias = this.affine
      ? this.registerParameter("bias", new Parameter([c], new Float32Array(c)))
      : null;
    const track = this.trackRunningStats;
    this.runningMean = track
      ? this.registerBuffer("running_mean", new ModuleBuffer([c], new Float32Array(c)))
      : null;
    this.runningVar = track
      ? this.registerBuffer("running_var", new ModuleBuffer([c], new Float32Array(c).fill(1)))
      : null;
    this.numBatchesTracked = track
      ? this.registerBuffer("num_batches_tracked", new ModuleBuffer([], new Float32Array(1)))
      : null;
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    if (this.syncing) {
      throw new UsageError(
        this.kind,
        "a statsReducer waits on other ranks in training: call forwardAsync",
      );
    }
    const x3 = this.channelMajor(x);
    const [n, , len] = x3.shape;
    const b = x.backend;
    if (this.training) this.requireValues(n * len, x.shape);
    const stats = this.training || !this.trackRunningStats ? null : {
      mean: this.runningMean!.on(b).storage,
      variance: this.runningVar!.on(b).storage,
    };
    const eps = this.eps;
    const out = batchNorm(x3, this.weight?.value ?? null, this.bias?.value ?? null, eps, stats);
    if (this.training && this.trackRunningStats) {
      this.updateRunningStats(b, out.mean, out.variance, n * len);
    }
    return reshape(out.y, x.shape);
  }

  /** With a `statsReducer` in training, normalises with the statistics summed across ranks. */
  override *forwardPass(x: Tensor): ForwardPass {
    if (!this.syncing) return this.forward(x);
    const x3 = this.channelMajor(x);
    const [n, c, len] = x3.shape;
    const job = (yield this.statsReducer!({
      sum: reshape(channelSum(x3), [c]),
      sumOfSquares: reshape(channelSum(unary("square", x3)), [c]),
      count: n * len,
    })) as BatchStats;
    return this.normalise(x, x3, momentsFromSums(job));
  }

  /**
   * Takes this layer's part in a training step's cross-rank sums on a rank with no
   * samples (an empty shard): adds zeros, moves the running statistics like every other
   * rank, and returns a tensor of the job's sums whose backward adds zeros to their
   * gradients' sum in turn.
   */
  async forwardWithoutSamples(b: Backend): Promise<Tensor> {
    const c = this.numFeatures;
    const zeros = () => new Tensor(b, b.zeros(c), [c], true);
    const job = await this.statsReducer!({ sum: zeros(), sumOfSquares: zeros(), count: 0 });
    const { mean, variance, count } = momentsFromSums(job);
    this.requireValues(count, [0, c]);
    if (this.trackRunningStats) {
      this.updateRunningStats(b, mean.storage, variance.storage, count);
    }
    return add(job.sum, job.sumOfSquares);
  }

  /** Whether this layer sums its statistics across ranks now. */
  private get syncing(): boolean {
    return this.training && this.statsReducer !== null;
  }

  /** `x` checked and viewed as `[N, C, L]`. */
  private channelMajor(x: Tensor): Tensor {
    this.checkInput(x);
    const [n, c] = x.shape;
    return reshape(x, [n, c, sizeOf(x.shape.slice(2))]);
  }

  /**
   * `y = (x − mean)/√(var + eps)·γ + β` with the moments summed across ranks, composed
   * from differentiable ops so that their gradient crosses ranks too (moving the running
   * statistics toward them).
   */
  private normalise(x: Tensor, x3: Tensor, batch: BatchMoments): Tensor {
    const channel = [1, this.numFeatures, 1];
    const { mean, variance, count } = batch;
    this.requireValues(count, x.shape);
    if (this.trackRunningStats) {
      this.updateRunningStats(x.backend, mean.storage, variance.storage, count);
    }
    const invStd = unary("recip", unary("sqrt", affine(variance, 1, this.eps)));
    let y = mul(sub(x3, mean), invStd);
    if (this.weight && this.bias) {
      y = add(mul(y, reshape(this.weight.value, channel)), reshape(this.bias.value, channel));
    }
    return reshape(y, x.shape);
  }

  /** Training needs two or more values per channel (across ranks when they are summed). */
  private requireValues(count: number, shape: readonly number[]): void {
    if (count > 1) return;
    throw new ShapeError(
      this.kind,
      `expected more than 1 value per channel when training, got ${count} ` +
        `(input shape [${shape}]${this.statsReducer ? ", summed across ranks" : ""})`,
    );
  }

  /**
   * `running ← (1 − f)·running + f·batch` with f = momentum, or 1/num_batches_tracked for a
   * cumulative average (kept on the device); the variance enters unbiased, `·count/(count−1)`.
   */
  private updateRunningStats(b: Backend, mean: Storage, variance: Storage, count: number): void {
    const c = [this.numFeatures];
    const tracked = this.numBatchesTracked!.on(b).storage;
    const seen = b.affine(tracked, 1, 1);
    b.copy(tracked, seen);
    const unbiased = b.affine(variance, count / (count - 1), 0);
    const factor = this.momentum === null ? b.unary("recip", seen) : null;
    const updates = [[this.runningMean!, mean], [this.runningVar!, unbiased]] as const;
    for (const [buffer, batch] of updates) {
      const running = buffer.on(b).storage;
      const toward = b.binary({
        op: "sub",
        a: batch,
        aShape: c,
        b: running,
        bShape: c,
        outShape: c,
      });
      if (factor) {
        const scaled = b.binary({
          op: "mul",
          a: toward,
          aShape: c,
          b: factor,
          bShape: [1],
          outShape: c,
        });
        b.axpy(running, scaled, 1);
      } else b.axpy(running, toward, this.momentum!);
    }
  }

  /** Throws a ShapeError unless `x` has an allowed rank and `numFeatures` channels. */
  private checkInput(x: Tensor): void {
    if (!this.ranks.includes(x.shape.length)) {
      const expected = this.ranks.map((r) => `${r}D`).join(" or ");
      throw new ShapeError(
        this.kind,
        `expected ${expected} input, got ${x.shape.length}D input of shape [${x.shape}]`,
      );
    }
    if (x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        this.kind,
        `expected ${this.numFeatures} channels (num_features) at dim 1, got shape [${x.shape}]`,
      );
    }
  }
}

/** A batch's statistics per channel (`[1, C, 1]`) and the values they cover. */
interface BatchMoments {
  mean: Tensor;
  variance: Tensor;
  count: number;
}

/** Σ over dims 0 and 2 of `[N, C, L]`, keeping them: `[1, C, 1]`. */
function channelSum(x3: Tensor): Tensor {
  const overLength = x3.shape[2] === 1 ? x3 : sum(x3, 2, true);
  return sum(overLength, 0, true);
}

/**
 * Mean and biased variance `E[x²] − E[x]²` from Σx and Σx² summed across ranks, clamped
 * at 0 where rounding takes it below. One pass loses precision when |mean| ≫ std (about
 * (mean/std)² float32 ulps of the variance), which activations after a convolution or
 * linear layer do not reach in practice.
 */
function momentsFromSums(job: BatchStats): BatchMoments {
  const c = job.sum.size;
  const mean = reshape(scale(job.sum, 1 / job.count), [1, c, 1]);
  const meanOfSquares = reshape(scale(job.sumOfSquares, 1 / job.count), [1, c, 1]);
  const variance = relu(sub(meanOfSquares, unary("square", mean)));
  return { mean, variance, count: job.count };
}

/**
 * Batch norm over `[N, C]` or `[N, C, L]` inputs, per channel C (`nn.BatchNorm1d`).

 * @example
 * ```ts
 * import { BatchNorm1d, bindParameters, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const bn = new BatchNorm1d(2);
 * bindParameters(b, bn.namedParameters());
 * const y = bn.forward(tensor(b, [1, 10, 3, 30], [2, 2]));
 * console.log(await y.toArray()); // ≈ [-1, -1, 1, 1]
 * console.log(await bn.runningMean!.read()); // ≈ [0.2, 2]
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  /** The layer's name in errors. */
  protected readonly kind = "BatchNorm1d";
  /** Input ranks it accepts. */
  protected readonly ranks = [2, 3];
}

/**
 * Batch norm over `[N, C, H, W]` inputs, per channel C (`nn.BatchNorm2d`).

 * @example
 * ```ts
 * import { BatchNorm2d, bindParameters, createCpuBackend, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * const bn = new BatchNorm2d(1);
 * bindParameters(b, bn.namedParameters());
 * console.log((await bn.forward(tensor(b, [0, 2, 4, 6], [1, 1, 2, 2])).toArray()).length); // 4
 * console.log(bn.namedBuffers().map(([n]) => n)); // ["running_mean", "running_var", "num_batches_tracked"]
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  /** The layer's name in errors. */
  protected readonly kind = "BatchNorm2d";
  /** Input ranks it accepts. */
  protected readonly ranks = [4];
}
