/**
 * The chart panels of training curves that `report` draws: loss and accuracy of one or
 * more metrics files, one colour per run, train solid and test dashed. Shared by the
 * per-file report, the per-run curves of a sweep and a sweep's per-axis overlays.
 *
 * @module
 */

import type { MetricsRecord } from "../core/metrics/jsonl.ts";
import type { ChartPanel, ChartSeries, LegendEntry } from "./svg_chart.ts";

/** Tableau's ten colours: distinct for the usual handful of runs, then reused. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** Legend items saying that train curves are solid and test curves dashed. */
export const TRAIN_TEST_KEY: readonly LegendEntry[] = [
  { label: "train", color: "#444" },
  { label: "test", color: "#444", dashed: true },
];

/** One run's curves: its name (series tooltips), colour and metrics records. */
export interface CurveRun {
  name: string;
  color: string;
  records: readonly MetricsRecord[];
}

/** Which curves {@link metricsPanels} draws. */
export interface PanelOptions {
  /** Log scale for the loss axis. */
  logLoss?: boolean;
  /**
   * `step`: training loss at every step record, test loss at the end of each epoch (the
   * default); `epoch`: training loss per epoch only, comparable across batch sizes.
   */
  lossX?: "step" | "epoch";
  /** Draw the train accuracy curve (default true). */
  trainAccuracy?: boolean;
}

/**
 * A loss panel and an accuracy panel over `runs`.
 *
 * @example
 * ```ts
 * import { metricsPanels } from "./metrics_panels.ts";
 * const records = [{
 *   kind: "epoch" as const, epoch: 1, step: 10, train_loss: 0.5, train_acc: 0.9, lr: 0.1,
 *   samples_per_s: 1e4, wall_s: 1, test_loss: 0.6, test_acc: 0.88,
 * }];
 * const [loss, accuracy] = metricsPanels([{ name: "a", color: "#1f77b4", records }]);
 * console.log(loss.title, accuracy.series.length); // Loss 2
 * ```
 */
export function metricsPanels(
  runs: readonly CurveRun[],
  options: PanelOptions = {},
): ChartPanel[] {
  const perStep = (options.lossX ?? "step") === "step";
  const series = (
    run: CurveRun,
    what: string,
    points: [number, number][],
    style: Partial<ChartSeries>,
  ): ChartSeries[] =>
    points.length ? [{ label: `${run.name} ${what}`, color: run.color, points, ...style }] : [];
  const epochs = (run: CurveRun) => run.records.filter((r) => r.kind === "epoch");
  return [
    {
      title: "Loss",
      xLabel: perStep ? "step" : "epoch",
      yLabel: options.logLoss ? "loss (log scale)" : "loss",
      logY: options.logLoss ?? false,
      series: runs.flatMap((run) =>
        perStep
          ? [
            ...series(
              run,
              "train loss",
              run.records.filter((r) => r.kind === "step").map((r) => [r.step, r.train_loss]),
              {},
            ),
            ...series(
              run,
              "test loss",
              epochs(run).flatMap((r) => r.test_loss === null ? [] : [[r.step, r.test_loss]]),
              { dashed: true, markers: true },
            ),
          ]
          : series(run, "train loss", epochs(run).map((r) => [r.epoch, r.train_loss]), {
            markers: true,
          })
      ),
    },
    {
      title: "Accuracy",
      xLabel: "epoch",
      yLabel: "accuracy (%)",
      series: runs.flatMap((run) => [
        ...(options.trainAccuracy ?? true
          ? series(
            run,
            "train accuracy",
            epochs(run).map((r) => [r.epoch, 100 * r.train_acc]),
            { markers: true },
          )
          : []),
        ...series(
          run,
          "test accuracy",
          epochs(run).flatMap((r) => r.test_acc === null ? [] : [[r.epoch, 100 * r.test_acc]]),
          { dashed: true, markers: true },
        ),
      ]),
    },
  ];
}
