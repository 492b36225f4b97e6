/**
 * `fit`: the epoch loop of one process — deterministic shuffling and augmentation, training steps,
 * periodic metric read-backs, evaluation, a metrics file and a checkpoint per epoch, and
 * exact resumption from such a checkpoint.
 *
 * @module
 */

import type { EpochProgress } from "../checkpoint/checkpoint.ts";
import { UsageError } from "../errors.ts";
import type { LayerSum } from "../nn/sync_batch_norm.ts";

/** The layer sums and passes a mesh serves, as `--sync-bn` asks for them. */
export type { LayerSum, SyncPass } from "../nn/sync_batch_norm.ts";
import { augmentBatch } from "../data/augment.ts";
import type { Dataset } from "../data/dataset.ts";
import {
  batchIndices,
  gatherBatch,
  permutation,
  shardRange,
  stepsPerEpoch,
} from "../data/sampler.ts";
import { MetricsLog, type MetricsRecord } from "../metrics/jsonl.ts";
import { dropRecordsAfter } from "../metrics/trim.ts";
import type { TrainConfig } from "./config.ts";
import { type DeviceData, deviceData } from "./device_data.ts";
import type { RunningMetrics } from "./device_metrics.ts";
import { restoreFitCheckpoint, saveFitCheckpoint } from "./fit_checkpoint.ts";
import { checkAccumulate } from "./micro_batches.ts";
import { epochRecord, stepRecord } from "./fit_records.ts";
import type { ScheduleDriver } from "../optim/schedulers/registry.ts";
import { runSchedule } from "./schedule.ts";
import { datasetScores, writeFitCurve } from "./regression_eval.ts";
import { regressionRecord } from "./regression_records.ts";
import type { GradientReducer, HostBatch, Trainer } from "./trainer.ts";

/**
 * How a data-parallel rank joins the loop: it trains on its shard of each global batch,
 * sums gradients and metric totals across ranks, and hears about every finished step.
 */
export interface FitMesh {
  /** This process's rank. */
  readonly rank: number;
  /** Number of ranks. */
  readonly world: number;
  /** Sums the flat gradient buffer across ranks, in place. */
  reduceGradients: GradientReducer;
  /** Sums one batch norm layer's statistics or their gradients across ranks (`--sync-bn`). */
  sumBatchNorm: LayerSum;
  /** Element-wise sum of a small host vector across ranks (same result on every rank). */
  sumAcross(values: Float32Array<ArrayBuffer>, step: number): Promise<Float32Array>;
  /** Called after every step with the global step number (heartbeats, checksums). */
  afterStep?(step: number, trainer: Trainer): Promise<void>;
}

/** Where a run writes, and how often it reads metrics back. */
export interface FitOptions {
  /**
   * Checkpoint file (`.safetensors`), rewritten atomically after every epoch (and every
   * `checkpointEvery` steps) with the step checkpoints of `core/checkpoint/series.ts`
   * beside it; none when null.
   */
  checkpointPath: string | null;
  /** Also checkpoint every this many global steps; 0 or absent: at epoch ends only. */
  checkpointEvery?: number;
  /** Step checkpoints kept. Default {@link DEFAULT_KEEP_CHECKPOINTS}. */
  keepCheckpoints?: number;
  /**
   * Asked after every step whether to stop early (preemption): the run then checkpoints
   * and returns. Ranks of a mesh agree at each metric read-back (`logEvery` steps) and
   * stop there together when any of them asked.
   */
  stopRequested?: () => boolean;
  /** Metrics JSON Lines file (and the CSV beside it), appended to when resuming; none when null. */
  metricsPath: string | null;
  /** Also write the metrics as TensorBoard event files into this folder (`--tensorboard`). */
  tensorboardDir?: string | null;
  /** Evaluate on the test split every this many epochs (and after the last). */
  evalEvery: number;
  /** Read training loss back every this many steps (a step record in the metrics file). */
  logEvery: number;
  /** Continue from this checkpoint. */
  resume?: string;
  /** Present when this process is one rank of a data-parallel job. */
  mesh?: FitMesh;
  /**
   * Where a regression run with one feature and one target writes its fitted curve at the
   * end (`report --fit`); none when absent.
   */
  curvePath?: string | null;
}

/** A progress report, sent after every step. */
export interface FitProgress {
  /** Epoch, from 0. */
  epoch: number;
  /** Steps done in this epoch. */
  step: number;
  /** Steps per epoch. */
  stepsPerEpoch: number;
  /** Mean loss over the last read-back window (null before the first read-back). */
  loss: number | null;
  /** Global samples per second so far in this epoch. */
  samplesPerSecond: number;
}

/** The end of one epoch: training and (when evaluated) test metrics. */
export interface EpochSummary {
  /** Epochs done, from 1. */
  epoch: number;
  /** Training loss and accuracy over the epoch. */
  train: RunningMetrics;
  /** Test metrics, when evaluated. */
  test: RunningMetrics | null;
  /** Wall-clock seconds of the epoch. */
  seconds: number;
  /**
   * Seconds of the epoch's training steps alone, up to their last metrics read-back: no
   * evaluation, checkpoint or epoch record (set by `fit`; absent from summaries sent before it).
   */
  trainSeconds?: number;
  /** Steps of the run so far dropped by `--on-nonfinite skip-step`; absent when none. */
  skippedSteps?: number;
}

/** Callbacks of {@link fit}. */
export interface FitCallbacks {
  /** After every step. */
  onProgress?(p: FitProgress): void;
  /** After every epoch. */
  onEpoch?(s: EpochSummary): void;
  /** Every metrics record, as it is written (whether or not there is a metrics file). */
  onRecord?(record: MetricsRecord): void;
}

/** Result of {@link fit}. */
export interface FitResult {
  /** The trained trainer. */
  trainer: Trainer;
  /** Every epoch's summary. */
  epochs: EpochSummary[];
  /** Test metrics after the last epoch (null on ranks other than 0, and after a stop). */
  final: RunningMetrics | null;
  /** The global step after which `stopRequested` stopped the run; null when it ran to the end. */
  stoppedAt: number | null;
}

/** Evaluation batches over a whole dataset. */
export function* evalBatches(ds: Dataset, batchSize = 1000): Generator<HostBatch> {
  for (let start = 0; start < ds.count; start += batchSize) {
    const idx = new Uint32Array(Math.min(batchSize, ds.count - start)).map((_, i) => start + i);
    yield { ...gatherBatch(ds, idx), rows: idx.length };
  }
}

/**
 * Trains `trainer` (built from `config` by `buildTrainer`, once: the mesh takes its layout
 * from the same trainer) on `train` with `config`'s schedule, evaluating on `test`, writing
 * metrics and checkpoints.
 */
export async function fit(
  trainer: Trainer,
  config: TrainConfig,
  data: { train: Dataset; test: Dataset },
  options: FitOptions,
  callbacks: FitCallbacks = {},
): Promise<FitResult> {
  requireOneProcessFor(config, options.mesh?.world ?? 1);
  checkAccumulate(config);
  if (data.train.count === 0) {
    throw new UsageError("data", "the training split holds 0 samples, expected at least 1");
  }
  const run = await FitRun.start(trainer, config, data, options, callbacks);
  try {
    for (let epoch = run.startEpoch; epoch < config.epochs && run.stoppedAt === null; epoch++) {
      const epochRun = await run.trainEpoch(epoch);
      // A stop within the epoch was checkpointed where it happened.
      if (run.stoppedAt !== null && run.stoppedAt < (epoch + 1) * run.steps) break;
      await run.finishEpoch(epoch, epochRun);
    }
  } finally {
    await run.log?.close();
  }
  return await run.result();
}

/** An epoch's training metrics so far, and when it started. */
interface EpochRun {
  readonly totals: { loss: number; correct: number; entropy: number; count: number };
  readonly t0: number;
  /** Seconds of the training steps. */
  readonly trainSeconds: number;
}

/**
 * The state of one `fit` call: where it resumed, the schedule, the metrics log, where the
 * training data lives, and what it has done so far.
 */
class FitRun {
  readonly epochs: EpochSummary[] = [];
  final: RunningMetrics | null = null;
  /** The global step after which every rank was asked to stop, if any. */
  stoppedAt: number | null = null;
  readonly #wallStart = performance.now();
  readonly #mesh: FitMesh | undefined;

  private constructor(
    readonly trainer: Trainer,
    readonly config: TrainConfig,
    readonly data: { train: Dataset; test: Dataset },
    readonly options: FitOptions,
    readonly callbacks: FitCallbacks,
    readonly steps: number,
    readonly startEpoch: number,
    readonly progress: EpochProgress | undefined,
    readonly schedule: ScheduleDriver,
    readonly log: MetricsLog | null,
    readonly onDevice: DeviceData | null,
  ) {
    this.#mesh = options.mesh;
  }

  /** Restores `options.resume`, sets up the schedule, the watch and the metrics log. */
  static async start(
    trainer: Trainer,
    config: TrainConfig,
    data: { train: Dataset; test: Dataset },
    options: FitOptions,
    callbacks: FitCallbacks,
  ): Promise<FitRun> {
    const start = options.resume
      ? await restoreFitCheckpoint(trainer, options.resume)
      : { epoch: 0, progress: undefined };
    const mesh = options.mesh;
    // With one process, batch norm already sees the whole batch.
    if (config.syncBn && mesh && mesh.world > 1) trainer.syncBatchNorm(mesh.sumBatchNorm);
    const steps = stepsPerEpoch(data.train.count, config.batchSize);
    const stepsDone = start.epoch * steps + (start.progress?.steps ?? 0);
    trainer.watchNonFinite(config.onNonFinite ?? "stop", stepsDone);
    const schedule = await runSchedule(
      config,
      trainer.optimizer,
      steps,
      start.epoch,
      options.resume,
    );
    for (let s = 0; s < (start.progress?.steps ?? 0); s++) schedule.afterStep();
    // Opened once everything above is checked: a refused run leaves the file as it was.
    if (options.metricsPath && options.resume) {
      await dropRecordsAfter(options.metricsPath, stepsDone);
    }
    const log = options.metricsPath
      ? await MetricsLog.open(options.metricsPath, stepsDone > 0, options.tensorboardDir ?? null)
      : null;
    const onDevice = deviceData(trainer.flat.backend, data.train, config.augment, config.batchSize);
    return new FitRun(
      trainer,
      config,
      data,
      options,
      callbacks,
      steps,
      start.epoch,
      start.progress,
      schedule,
      log,
      onDevice,
    );
  }

  /** Trains the steps of `epoch` (from where a mid-epoch checkpoint left it) or until a stop. */
  async trainEpoch(epoch: number): Promise<EpochRun> {
    const { trainer, config, data, options, steps } = this;
    const mesh = this.#mesh;
    const t0 = performance.now();
    const perm = permutation(data.train.count, config.seed, epoch);
    const shardAt = (step: number) => shardOf(batchIndices(perm, step, config.batchSize), mesh);
    this.onDevice?.beginEpoch((step) => shardAt(step).shard, steps);
    const resumed = epoch === this.startEpoch ? this.progress : undefined;
    const totals = {
      loss: resumed?.loss ?? 0,
      correct: resumed?.correct ?? 0,
      // A checkpoint from before the entropy metric has no sum: that epoch's entropy is NaN.
      entropy: resumed ? resumed.entropy ?? NaN : 0,
      count: resumed?.count ?? 0,
    };
    const every = options.checkpointEvery ?? 0;
    let windowStart = t0;
    let lastLoss: number | null = null;
    let seen = 0;
    for (let step = resumed?.steps ?? 0; step < steps; step++) {
      const globalStep = epoch * steps + step + 1;
      const { idx, firstRow, shard } = shardAt(step);
      const batch = this.onDevice
        ? { data: this.onDevice, indices: shard, rows: shard.length, firstRow }
        : hostBatch(data.train, shard, firstRow, config, epoch);
      await trainer.step(batch, idx.length, mesh?.reduceGradients, config.accumulate);
      await mesh?.afterStep?.(globalStep, trainer);
      seen += idx.length;
      // A checkpoint or a stop reads the metrics back first, so that the epoch's sums
      // it saves are complete.
      const checkpointDue = every > 0 && globalStep % every === 0;
      const stopAsked = options.stopRequested?.() ?? false;
      let stop = false;
      if (
        (step + 1) % options.logEvery === 0 || step === steps - 1 || checkpointDue ||
        (stopAsked && !mesh)
      ) {
        const { stopVotes, ...m } = await combined(
          await trainer.takeTrainMetrics(),
          mesh,
          globalStep,
          stopAsked,
        );
        stop = stopVotes > 0 && globalStep < config.epochs * steps;
        const now = performance.now();
        const samplesPerSecond = m.count / ((now - windowStart) / 1000);
        windowStart = now;
        // A window of only dropped steps (skip-step) has no samples and adds nothing.
        totals.loss += m.count && m.loss * m.count;
        totals.correct += m.count && m.accuracy * m.count;
        totals.entropy += m.count && m.entropy * m.count;
        totals.count += m.count;
        await this.#write({
          ...stepRecord(epoch, globalStep, m, trainer.optimizer.lr, {
            samplesPerSecond,
            wallSeconds: (now - this.#wallStart) / 1000,
          }),
          ...skipped(trainer),
        });
        lastLoss = m.loss;
        await trainer.checkNonFinite();
      }
      this.callbacks.onProgress?.({
        epoch,
        step: step + 1,
        stepsPerEpoch: steps,
        loss: lastLoss,
        samplesPerSecond: seen / ((performance.now() - t0) / 1000),
      });
      this.schedule.afterStep();
      if (stop) this.stoppedAt = globalStep;
      // An epoch's last step is checkpointed with the epoch, by finishEpoch.
      if ((stop || checkpointDue) && step < steps - 1) {
        await this.#checkpoint(epoch, globalStep, { steps: step + 1, ...totals });
      }
      if (stop) break;
    }
    return { totals, t0, trainSeconds: (performance.now() - t0) / 1000 };
  }

  /** Evaluates when due, records the epoch, moves the schedule and checkpoints. */
  async finishEpoch(epoch: number, { totals, t0, trainSeconds }: EpochRun): Promise<void> {
    const { trainer, config, options, steps } = this;
    const train: RunningMetrics = {
      loss: totals.loss / totals.count,
      accuracy: totals.correct / totals.count,
      entropy: totals.entropy / totals.count,
      count: totals.count,
    };
    const last = epoch === config.epochs - 1;
    const due = last || (epoch + 1) % options.evalEvery === 0;
    // Every rank holds the same parameters, so one evaluation speaks for all.
    const test = due && (this.#mesh?.rank ?? 0) === 0 ? await this.#evaluate() : null;
    if (test) this.final = test;
    const seconds = (performance.now() - t0) / 1000;
    const summary = {
      epoch: epoch + 1,
      train,
      test,
      seconds,
      trainSeconds,
      ...skippedSteps(trainer),
    };
    this.epochs.push(summary);
    await this.#write({
      ...epochRecord(summary, (epoch + 1) * steps, trainer.optimizer.lr, {
        samplesPerSecond: train.count / seconds,
        wallSeconds: (performance.now() - this.#wallStart) / 1000,
      }),
      ...skipped(trainer),
    }, test);
    // Records above carry the lr the epoch trained with; the next epoch's is set here.
    this.schedule.afterEpoch(train.loss);
    await this.#checkpoint(epoch + 1, (epoch + 1) * steps);
    this.callbacks.onEpoch?.(summary);
  }

  /** What `fit` returns; rank 0 evaluates the final parameters if no epoch did. */
  async result(): Promise<FitResult> {
    const { trainer, epochs, stoppedAt } = this;
    if (!this.final && stoppedAt === null && (this.#mesh?.rank ?? 0) === 0) {
      this.final = await this.#evaluate();
    }
    const { curvePath } = this.options;
    if (curvePath && stoppedAt === null && this.final) {
      await writeFitCurve(curvePath, trainer, this.data, this.config);
    }
    return { trainer, epochs, final: this.final, stoppedAt };
  }

  /** Test loss and accuracy, or for a regression run test loss and regression metrics. */
  async #evaluate(): Promise<RunningMetrics> {
    const test = await this.trainer.evaluate(evalBatches(this.data.test));
    if (!this.data.test.targets) return test;
    return { ...test, regression: await datasetScores(this.trainer, this.data.test) };
  }

  /**
   * Writes `record` to the metrics file, in a regression run's form for such a run, and
   * hands it to the `onRecord` callback.
   */
  async #write(record: MetricsRecord, test?: RunningMetrics | null): Promise<void> {
    const task = this.data.train.targets ? regressionRecord(record, test?.regression) : record;
    await this.log?.write(task);
    this.callbacks.onRecord?.(task);
  }

  #checkpoint(epoch: number, step: number, progress?: EpochProgress): Promise<void> {
    const { checkpointPath, keepCheckpoints } = this.options;
    if (!checkpointPath) return Promise.resolve();
    return saveFitCheckpoint(this.trainer, this.config, {
      epoch,
      globalStep: step,
      path: checkpointPath,
      keep: keepCheckpoints,
      progress,
    });
  }
}

/** This rank's rows of the global batch `idx` (all of it without a mesh), and where they start. */
function shardOf(idx: Uint32Array, mesh: FitMesh | undefined) {
  const [firstRow, end] = mesh ? shardRange(idx.length, mesh.rank, mesh.world) : [0, idx.length];
  return { idx, firstRow, shard: idx.subarray(firstRow, end) };
}

/**
 * The samples of `shard` gathered and augmented on the host; `firstRow` places its dropout
 * masks within the global batch's.
 */
function hostBatch(
  train: Dataset,
  shard: Uint32Array,
  firstRow: number,
  config: TrainConfig,
  epoch: number,
): HostBatch {
  const batch = { ...gatherBatch(train, shard), rows: shard.length, firstRow };
  augmentBatch(batch.x, shard, train, config.augment, config.seed, epoch);
  return batch;
}

// The count of dropped steps, as a metrics field and a summary field, where there are any.
const skipped = (t: Trainer) => t.skippedSteps > 0 ? { skipped_steps: t.skippedSteps } : {};
const skippedSteps = (t: Trainer) => t.skippedSteps > 0 ? { skippedSteps: t.skippedSteps } : {};

// Turns this rank's window metrics into the job's: totals summed across ranks, with the
// number of ranks that asked to stop.
async function combined(
  m: RunningMetrics,
  mesh: FitMesh | undefined,
  step: number,
  stop: boolean,
): Promise<RunningMetrics & { stopVotes: number }> {
  if (!mesh) return { ...m, stopVotes: stop ? 1 : 0 };
  const vote = stop ? 1 : 0;
  const [loss, correct, entropy, count, stopVotes] = await mesh.sumAcross(
    // A rank without samples adds nothing; a NaN loss stays NaN in the sum.
    new Float32Array(
      m.count
        ? [m.loss * m.count, m.accuracy * m.count, m.entropy * m.count, m.count, vote]
        : [0, 0, 0, 0, vote],
    ),
    step,
  );
  return {
    loss: loss / count,
    accuracy: correct / count,
    entropy: entropy / count,
    count,
    stopVotes,
  };
}

/**
 * Refuses L-BFGS across `world` > 1 processes: each of its steps evaluates the batch many
 * times, and every evaluation would need its own all-reduce of gradients and loss.
 */
export function requireOneProcessFor(config: TrainConfig, world: number): void {
  if (config.optimizer === "lbfgs" && world > 1) {
    throw new UsageError(
      "optimizer",
      `lbfgs trains in one process (it re-evaluates each batch many times); got ${world} workers`,
    );
  }
}
