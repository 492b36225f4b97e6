/**
 * The chart panels of a regression run's test metrics (`test_rmse`, `test_mae`, `test_r2`,
 * `test_mape`, `test_mbe` of its epoch records), which `report` draws in place of the
 * accuracy panel when no run has an accuracy.
 *
 * @module
 */

import type { EpochRecord } from "../core/metrics/jsonl.ts";
import type { CurveRun } from "./metrics_panels.ts";
import type { ChartPanel, ChartSeries } from "./svg_chart.ts";

type Key = "test_rmse" | "test_mae" | "test_r2" | "test_mape" | "test_mbe";

/** Whether any epoch record of `runs` holds regression metrics. */
export const hasRegressionMetrics = (runs: readonly CurveRun[]): boolean =>
  runs.some((r) => r.records.some((x) => x.kind === "epoch" && x.test_rmse !== undefined));

function curve(run: CurveRun, key: Key, what: string, dashed = false): ChartSeries[] {
  const points = run.records.flatMap((r) =>
    r.kind === "epoch" && r[key] !== undefined ? [[r.epoch, (r as EpochRecord)[key]!] as const] : []
  );
  return points.length
    ? [{ label: `${run.name} ${what}`, color: run.color, points, dashed, markers: true }]
    : [];
}

/**
 * Test RMSE (solid) and MAE (dashed), R², MAPE and MBE per epoch, one colour per run.
 *
 * @example
 * ```ts
 * import { regressionPanels } from "./regression_panels.ts";
 * const records = [{
 *   kind: "epoch" as const, epoch: 1, step: 10, train_loss: 0.5, train_acc: NaN, lr: 0.1,
 *   samples_per_s: 1e4, wall_s: 1, test_loss: 0.6, test_acc: null, test_rmse: 0.7, test_r2: 0.9,
 * }];
 * console.log(regressionPanels([{ name: "a", color: "#1f77b4", records }]).length); // 4
 * ```
 */
export function regressionPanels(runs: readonly CurveRun[]): ChartPanel[] {
  const panel = (title: string, yLabel: string, series: (r: CurveRun) => ChartSeries[]) => ({
    title,
    xLabel: "epoch",
    yLabel,
    series: runs.flatMap(series),
  });
  return [
    panel("Test RMSE (solid) and MAE (dashed)", "error", (r) => [
      ...curve(r, "test_rmse", "test RMSE"),
      ...curve(r, "test_mae", "test MAE", true),
    ]),
    panel("Test R²", "R²", (r) => curve(r, "test_r2", "test R²")),
    panel("Test MAPE", "MAPE (fraction)", (r) => curve(r, "test_mape", "test MAPE")),
    panel("Test MBE (mean of prediction − target)", "MBE", (r) => curve(r, "test_mbe", "test MBE")),
  ];
}

/**
 * `panels` (loss, then accuracy) with the regression panels of `runs` added, and the
 * accuracy panel dropped when no run has an accuracy to draw.
 */
export function withRegressionPanels(
  panels: readonly ChartPanel[],
  runs: readonly CurveRun[],
): ChartPanel[] {
  if (!hasRegressionMetrics(runs)) return [...panels];
  const accuracy = runs.some((r) => r.records.some((x) => Number.isFinite(x.train_acc)));
  return [...panels.filter((p) => accuracy || p.title !== "Accuracy"), ...regressionPanels(runs)];
}
