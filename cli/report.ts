/**
 * `gradmesh report FILE.jsonl [FILE2.jsonl ...] [--out report.svg]`: draws the loss and
 * accuracy curves of one or more metrics files into one SVG, one colour per file.
 *
 * @module
 */

import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { DataFormatError, GradmeshError, UsageError } from "../core/errors.ts";
import { type MetricsRecord, readMetrics } from "../core/metrics/jsonl.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { type ChartPanel, type ChartSeries, lineChartSvg } from "./svg_chart.ts";

const USAGE = "Usage: gradmesh report FILE.jsonl [FILE2.jsonl ...] [--out report.svg]";

const FLAGS: FlagTable = {
  out: { type: "string", default: "report.svg", help: "where to write the SVG" },
  "log-loss": { type: "boolean", default: false, help: "log scale for the loss axis" },
  help: { type: "boolean", default: false, help: "print this help and exit" },
};

/** Tableau's ten colours: distinct for the usual handful of runs, then reused. */
const PALETTE = [
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
const KEY_COLOR = "#444";

interface Run {
  name: string;
  color: string;
  records: MetricsRecord[];
}

/**
 * Runs the `report` subcommand with `args` (the words after `report`); returns the exit
 * code: 0 on success, 2 for a bad flag or an unreadable metrics file (one line on stderr
 * naming it), 1 for other failures.
 */
export async function runReport(args: string[]): Promise<number> {
  try {
    const { values, positionals } = parseFlags(FLAGS, args);
    if (values.help) {
      console.log(helpText(USAGE, FLAGS));
      return 0;
    }
    if (positionals.length === 0) {
      throw new UsageError("FILE", `expected at least one metrics file (${USAGE})`);
    }
    const names = runNames(positionals);
    const runs = await Promise.all(positionals.map(async (path, i): Promise<Run> => {
      const records = await readMetrics(path);
      if (records.length === 0) throw new DataFormatError(path, "no metrics records in file");
      return { name: names[i], color: PALETTE[i % PALETTE.length], records };
    }));
    const out = String(values.out);
    const svg = lineChartSvg(panels(runs, values["log-loss"] === true), {
      title: "gradmesh training report",
      legend: [
        ...runs.map((r) => ({ label: r.name, color: r.color })),
        { label: "train", color: KEY_COLOR },
        { label: "test", color: KEY_COLOR, dashed: true },
      ],
    });
    try {
      await writeTextAtomic(out, svg);
    } catch (e) {
      throw new UsageError("--out", `cannot write ${out}: ${(e as Error).message}`);
    }
    console.log(`report: wrote ${out} (${runs.length} metrics file${runs.length > 1 ? "s" : ""})`);
    return 0;
  } catch (e) {
    if (!(e instanceof GradmeshError)) throw e;
    console.error(`report: ${e.message}`);
    return e.exitCode;
  }
}

/** Loss per step (train) and per epoch (test); accuracy per epoch (train and test). */
function panels(runs: readonly Run[], logLoss: boolean): ChartPanel[] {
  const series = (
    run: Run,
    what: string,
    points: [number, number][],
    style: Partial<ChartSeries>,
  ): ChartSeries[] =>
    points.length ? [{ label: `${run.name} ${what}`, color: run.color, points, ...style }] : [];
  const epochs = (run: Run) => run.records.filter((r) => r.kind === "epoch");
  return [
    {
      title: "Loss",
      xLabel: "step",
      yLabel: logLoss ? "loss (log scale)" : "loss",
      logY: logLoss,
      series: runs.flatMap((run) => [
        ...series(
          run,
          "train loss",
          run.records.filter((r) => r.kind === "step").map((r) => [r.step, r.loss]),
          {},
        ),
        ...series(
          run,
          "test loss",
          epochs(run).flatMap((r) => r.test_loss === null ? [] : [[r.step, r.test_loss]]),
          { dashed: true, markers: true },
        ),
      ]),
    },
    {
      title: "Accuracy",
      xLabel: "epoch",
      yLabel: "accuracy (%)",
      series: runs.flatMap((run) => [
        ...series(
          run,
          "train accuracy",
          epochs(run).map((r) => [r.epoch, 100 * r.accuracy]),
          { markers: true },
        ),
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

/**
 * Legend names: each file's basename, or as many trailing path segments as it takes to
 * tell the files apart (`a/metrics.jsonl` and `b/metrics.jsonl`).
 */
function runNames(paths: readonly string[]): string[] {
  const segments = paths.map((p) => p.split(/[\\/]/).filter((s) => s !== ""));
  const longest = Math.max(...segments.map((s) => s.length));
  for (let k = 1;; k++) {
    const names = segments.map((s) => s.slice(-k).join("/"));
    if (new Set(names).size === names.length || k >= longest) return names;
  }
}
