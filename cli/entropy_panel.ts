/**
 * The entropy panel of `report FILE.jsonl …`: the mean entropy in bits of each run's
 * predicted distribution per epoch, train solid and test dashed, for metrics files that
 * record it (older ones do not, and get no panel).
 *
 * @module
 */

import type { CurveRun } from "./metrics_panels.ts";
import type { ChartPanel, ChartSeries } from "./svg_chart.ts";

/**
 * A one-panel list with the entropy curves of `runs`, or an empty list when no epoch
 * record of theirs has `train_entropy`.
 * @example
 * ```ts
 * import { entropyPanels } from "./entropy_panel.ts";
 * const records = [{
 *   kind: "epoch" as const, epoch: 1, step: 10, train_loss: 0.5, train_acc: 0.9, lr: 0.1,
 *   samples_per_s: 1e4, wall_s: 1, test_loss: 0.6, test_acc: 0.88, train_entropy: 1.2, test_entropy: 1.1,
 * }];
 * console.log(entropyPanels([{ name: "a", color: "#1f77b4", records }])[0].title); // Entropy of the predictions
 * ```
 */
export function entropyPanels(runs: readonly CurveRun[]): ChartPanel[] {
  const series = runs.flatMap((run): ChartSeries[] => {
    const epochs = run.records.flatMap((r) => r.kind === "epoch" ? [r] : []);
    const train = epochs.flatMap((r) =>
      r.train_entropy === undefined ? [] : [[r.epoch, r.train_entropy]] as const
    );
    const test = epochs.flatMap((r) =>
      r.test_entropy === undefined || r.test_entropy === null
        ? []
        : [[r.epoch, r.test_entropy]] as const
    );
    return [
      ...(train.length
        ? [{ label: `${run.name} train entropy`, color: run.color, points: train, markers: true }]
        : []),
      ...(test.length
        ? [{
          label: `${run.name} test entropy`,
          color: run.color,
          points: test,
          dashed: true,
          markers: true,
        }]
        : []),
    ];
  });
  if (series.length === 0) return [];
  return [{
    title: "Entropy of the predictions",
    xLabel: "epoch",
    yLabel: "entropy (bits)",
    series,
  }];
}
