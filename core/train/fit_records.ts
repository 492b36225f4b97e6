/**
 * The metrics file's records of a run (JSON Lines, see core/metrics/jsonl.ts): one per
 * read-back window of steps and one per epoch, in the field names plots read.
 *
 * @module
 */

import type { MetricsRecord } from "../metrics/jsonl.ts";
import type { RunningMetrics } from "./device_metrics.ts";

/** Throughput and elapsed time at the moment a record is written. */
export interface RecordTiming {
  samplesPerSecond: number;
  /** Seconds since the run (or its resumption) started. */
  wallSeconds: number;
}

/** The record of a read-back window ending at `step` (0-based `epoch`). */
export function stepRecord(
  epoch: number,
  step: number,
  m: RunningMetrics,
  lr: number,
  timing: RecordTiming,
): MetricsRecord {
  return {
    kind: "step",
    epoch: epoch + 1,
    step,
    train_loss: m.loss,
    train_acc: m.accuracy,
    train_entropy: m.entropy,
    lr,
    samples_per_s: timing.samplesPerSecond,
    wall_s: timing.wallSeconds,
  };
}

/** The metrics of one epoch (1-based): training, and test when evaluated. */
export interface EpochMetrics {
  epoch: number;
  train: RunningMetrics;
  test: RunningMetrics | null;
}

/** The record of an epoch that ended at `step`. */
export function epochRecord(
  summary: EpochMetrics,
  step: number,
  lr: number,
  timing: RecordTiming,
): MetricsRecord {
  return {
    kind: "epoch",
    epoch: summary.epoch,
    step,
    train_loss: summary.train.loss,
    train_acc: summary.train.accuracy,
    test_loss: summary.test?.loss ?? null,
    test_acc: summary.test?.accuracy ?? null,
    train_entropy: summary.train.entropy,
    test_entropy: summary.test?.entropy ?? null,
    lr,
    samples_per_s: timing.samplesPerSecond,
    wall_s: timing.wallSeconds,
  };
}
