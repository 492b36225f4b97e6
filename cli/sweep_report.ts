/**
 * `report --sweep DIR`: turns a sweep's `sweep.json` and its runs' metrics files into
 * `DIR/report.md` (per grid, a table of every run: its axis values, final train and test
 * loss and accuracy, wall time), one SVG of curves per run (`DIR/<grid>/<run>/curves.svg`)
 * and, per grid axis, an overlay of every run coloured by that axis's value
 * (`DIR/<grid>/overlay-<axis>.svg`).
 *
 * @module
 */

import { join } from "node:path";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { DataFormatError } from "../core/errors.ts";
import { type EpochRecord, type MetricsRecord, readMetrics } from "../core/metrics/jsonl.ts";
import { type CurveRun, metricsPanels, PALETTE, TRAIN_TEST_KEY } from "./metrics_panels.ts";
import { lineChartSvg } from "./svg_chart.ts";
import { readSweepRecord, sweepRecordPath, type SweepRunRecord } from "./sweep_record.ts";

/** What {@link writeSweepReport} wrote. */
export interface SweepReport {
  /** `DIR/report.md`. */
  path: string;
  /** The SVG files, curves and overlays. */
  svgs: string[];
}

/** Where a grid's overlay for `axis` goes, relative to the sweep directory. */
function overlayPath(grid: string, axis: string): string {
  return `${grid}/overlay-${axis}.svg`;
}

/**
 * Writes the report of the sweep in `dir`. A missing or malformed `sweep.json` throws a
 * {@link DataFormatError} naming it; runs without a readable metrics file keep their row,
 * with dashes and their status.
 */
export async function writeSweepReport(
  dir: string,
  options: { logLoss?: boolean } = {},
): Promise<SweepReport> {
  const record = await readSweepRecord(dir);
  if (!record) {
    throw new DataFormatError(sweepRecordPath(dir), "no such file (run `sweep` first)");
  }
  const metrics = await Promise.all(record.runs.map(async (run) => {
    try {
      return await readMetrics(join(dir, run.dir, "metrics.jsonl"));
    } catch {
      return [];
    }
  }));
  const svgs: string[] = [];
  const write = async (relative: string, svg: string) => {
    await writeTextAtomic(join(dir, relative), svg);
    svgs.push(join(dir, relative));
  };
  const lines = [
    "# Sweep report",
    "",
    `Grid file \`${record.grid_file}\`. Train loss and accuracy are the means over each ` +
    "run's last epoch, test loss and accuracy those after it; time is the wall time of " +
    "the run's `train` process.",
  ];
  for (const grid of record.grids) {
    const runs = record.runs.flatMap((run, i) =>
      run.grid === grid.name ? [{ run, records: metrics[i] }] : []
    );
    for (const { run, records } of runs) {
      if (records.length === 0) continue;
      const curves = [{ name: run.name, color: PALETTE[0], records }];
      await write(
        `${run.dir}/curves.svg`,
        lineChartSvg(metricsPanels(curves, options), { title: run.dir, legend: TRAIN_TEST_KEY }),
      );
    }
    for (const axis of grid.axes) {
      await write(overlayPath(grid.name, axis), overlaySvg(grid.name, axis, runs, options));
    }
    const overlays = grid.axes.map((a) => `[${a}](${overlayPath(grid.name, a)})`);
    lines.push(
      "",
      `## ${grid.name}`,
      "",
      `Curves of every run by ${overlays.join(", ")}.`,
      "",
      ...table(grid.axes, runs),
    );
  }
  const path = join(dir, "report.md");
  await writeTextAtomic(path, lines.join("\n") + "\n");
  return { path, svgs };
}

/** The grid's train-loss and test-accuracy curves, one colour per value of `axis`. */
function overlaySvg(
  grid: string,
  axis: string,
  runs: readonly { run: SweepRunRecord; records: MetricsRecord[] }[],
  options: { logLoss?: boolean },
): string {
  const values = [...new Set(runs.map(({ run }) => run.labels[axis]))];
  const color = (value: string) => PALETTE[values.indexOf(value) % PALETTE.length];
  const curves: CurveRun[] = runs.map(({ run, records }) => ({
    name: run.name,
    color: color(run.labels[axis]),
    records,
  }));
  const [loss, accuracy] = metricsPanels(curves, {
    ...options,
    lossX: "epoch",
    trainAccuracy: false,
  });
  return lineChartSvg([
    { ...loss, title: "Train loss (epoch mean)" },
    { ...accuracy, title: "Test accuracy" },
  ], {
    title: `${grid}: every run by ${axis}`,
    legend: values.map((v) => ({ label: `${axis} ${v}`, color: color(v) })),
  });
}

/** The Markdown table of a grid's runs. */
function table(
  axes: readonly string[],
  runs: readonly { run: SweepRunRecord; records: MetricsRecord[] }[],
): string[] {
  const row = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const metric = ["train loss", "train acc", "test loss", "test acc", "time"];
  return [
    row([...axes, ...metric, "curves"]),
    row([...axes.map(() => "---"), ...metric.map(() => "---:"), "---"]),
    ...runs.map(({ run, records }) => {
      const epochs = records.filter((r): r is EpochRecord => r.kind === "epoch");
      const last = epochs.at(-1);
      const tested = epochs.findLast((r) => r.test_acc !== null);
      const status = run.status === "ok" ? "" : run.status === "failed" ? "failed" : "not run";
      const link = last ? `[svg](${run.dir}/curves.svg)` : "";
      return row([
        ...axes.map((a) => cell(run.labels[a] ?? "")),
        fixed(last?.train_loss, 4),
        percent(last?.train_acc),
        fixed(tested?.test_loss, 4),
        percent(tested?.test_acc),
        run.wall_s === null ? "—" : `${run.wall_s.toFixed(1)} s`,
        [link, status].filter((s) => s).join(" "),
      ]);
    }),
  ];
}

function fixed(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? "—" : value.toFixed(digits);
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${(100 * value).toFixed(2)}%`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}
