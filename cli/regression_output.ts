/**
 * What a regression run prints: per epoch the training loss and the test loss, RMSE and
 * R², and at the end the test metrics.
 *
 * @module
 */

import type { RunningMetrics } from "../core/train/device_metrics.ts";
import type { EpochSummary } from "../core/train/fit.ts";

const scores = (m: RunningMetrics) =>
  m.regression
    ? ` rmse ${m.regression.rmse.toPrecision(4)} mae ${m.regression.mae.toPrecision(4)} ` +
      `r2 ${m.regression.r2.toFixed(4)}`
    : "";

/** One plain line per epoch of a regression run. */
export function regressionEpochLine(s: EpochSummary, epochs: number): string {
  const test = s.test ? ` test loss ${s.test.loss.toPrecision(4)}${scores(s.test)}` : "";
  return `epoch ${String(s.epoch).padStart(String(epochs).length)}/${epochs} ` +
    `train loss ${s.train.loss.toPrecision(4)}${test} ${s.seconds.toFixed(1)}s`;
}

/** The closing line of a regression run: the test loss and metrics, and the time taken. */
export function regressionOutcomeLine(final: RunningMetrics, took: string): string {
  return `final test loss ${final.loss.toPrecision(4)}${scores(final)} in ${took}`;
}
