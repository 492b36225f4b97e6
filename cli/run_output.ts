/**
 * What a training run shows a person, the same whether it runs in one process or as
 * rank 0 of many: a progress bar on a terminal, one line per epoch, and the closing
 * lines with the final accuracy and where the checkpoint and metrics went.
 *
 * @module
 */

import type { EpochSummary, FitCallbacks } from "../core/train/fit.ts";
import type { TrainConfig } from "../core/train/config.ts";
import type { RunningMetrics } from "../core/train/device_metrics.ts";
import { formatDuration, ProgressBar } from "./progress.ts";
import { regressionEpochLine, regressionOutcomeLine } from "./regression_output.ts";

/** One plain line per epoch. */
export function epochLine(s: EpochSummary, epochs: number): string {
  const test = s.test
    ? ` test loss ${s.test.loss.toFixed(4)} acc ${(s.test.accuracy * 100).toFixed(2)}%`
    : "";
  return `epoch ${String(s.epoch).padStart(String(epochs).length)}/${epochs} ` +
    `train loss ${s.train.loss.toFixed(4)} acc ${(s.train.accuracy * 100).toFixed(2)}%${test} ${
      s.seconds.toFixed(1)
    }s${s.skippedSteps ? ` (${s.skippedSteps} steps skipped: non-finite gradient)` : ""}`;
}

/** `fit` callbacks that show what `train` shows: a bar on a terminal, a line per epoch. */
export function trainingCallbacks(config: TrainConfig, quiet: boolean): FitCallbacks {
  const bar = new ProgressBar(!quiet);
  const start = performance.now();
  return {
    onProgress: (p) => {
      const done = p.epoch * p.stepsPerEpoch + p.step;
      const total = config.epochs * p.stepsPerEpoch;
      const rate = done / ((performance.now() - start) / 1000);
      bar.update({
        epoch: p.epoch + 1,
        epochs: config.epochs,
        step: p.step,
        steps: p.stepsPerEpoch,
        loss: p.loss,
        samplesPerSecond: p.samplesPerSecond,
        etaSeconds: (total - done) / rate,
      });
    },
    onEpoch: (s) => {
      bar.clear();
      if (quiet) return;
      const regression = config.task === "regression";
      console.log((regression ? regressionEpochLine : epochLine)(s, config.epochs));
    },
  };
}

/**
 * The closing lines of a run stopped on request after global step `step`: where its
 * checkpoint went and how to continue.
 */
export function printStopped(step: number, checkpointPath: string, out: string): void {
  console.log(`stopped on request after step ${step}; checkpoint: ${checkpointPath}`);
  console.log(`continue with: --resume auto --out ${out}`);
}

/** The closing lines of a run: final test accuracy and where its files went. */
export function printOutcome(
  final: RunningMetrics,
  seconds: number,
  checkpointPath: string,
  metricsPath: string,
): void {
  console.log(
    final.regression
      ? regressionOutcomeLine(final, formatDuration(seconds))
      : `final test accuracy ${(final.accuracy * 100).toFixed(2)}% (loss ${
        final.loss.toFixed(4)
      }) in ${formatDuration(seconds)}`,
  );
  console.log(`checkpoint: ${checkpointPath}`);
  console.log(`metrics:    ${metricsPath}`);
}
