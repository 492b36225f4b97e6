/**
 * `gradmesh report RUN [RUN2 ...] [--out report.svg]`: draws the loss and accuracy curves
 * (and the predictions' entropy, where recorded) of one or more runs into one SVG, one
 * colour per run; a RUN is a metrics file or a run folder (its `metrics.jsonl`).
 * `gradmesh report --sweep DIR`: the Markdown table and SVGs of a sweep (cli/sweep_report.ts).
 * `gradmesh report --fit RUN --band LO,HI`: regression fits over their data (cli/report_fit.ts).
 * `gradmesh report --activations relu,sin,…` / `--losses mse,huber,…`: figures of the
 * functions themselves (cli/function_figures.ts).
 *
 * @module
 */

import { join } from "node:path";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { DataFormatError, GradmeshError, UsageError } from "../core/errors.ts";
import { readMetrics } from "../core/metrics/jsonl.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { entropyPanels } from "./entropy_panel.ts";
import { functionFigureFlags, writeFunctionFigure } from "./function_figures.ts";
import { type CurveRun, metricsPanels, PALETTE, TRAIN_TEST_KEY } from "./metrics_panels.ts";
import { lineChartSvg } from "./svg_chart.ts";
import { serveRuns } from "./report_serve.ts";
import { writeSweepReport } from "./sweep_report.ts";
import { withRegressionPanels } from "./regression_panels.ts";
import { fitReport } from "./report_fit.ts";

const USAGE =
  `Usage: gradmesh report RUN [RUN2 ...] [--out report.svg]   (RUN: a metrics file or run folder)
       gradmesh report --sweep DIR
       gradmesh report --serve DIR [--listen HOST:PORT]
       gradmesh report --fit RUN[,RUN...] [--band LO_RUN,HI_RUN] [--out fit.svg]
       gradmesh report --activations relu,sin,sign [--range -4,4] [--out report.svg]
       gradmesh report --losses mse,huber,log-cosh,quantile [--target 0] [--out report.svg]`;

const FLAGS: FlagTable = {
  out: { type: "string", group: "output", default: "report.svg", help: "where to write the SVG" },
  "log-loss": {
    type: "boolean",
    group: "output",
    default: false,
    help: "log scale for the loss axis",
  },
  sweep: {
    type: "string",
    group: "data",
    help: "a sweep directory: write DIR/report.md (a table of its runs) and their SVGs",
  },
  serve: {
    type: "string",
    group: "output",
    help: "show finished runs on the dashboard page: a run folder, a folder of them, or a " +
      "metrics file (until interrupted)",
  },
  listen: {
    type: "string",
    group: "output",
    default: "127.0.0.1:0",
    help: "where --serve listens, HOST:PORT (port 0: a free one; off loopback it needs a token)",
  },
  fit: {
    type: "string",
    group: "output",
    help: "regression run directories (one feature, one target): their fitted curves over the data",
  },
  band: {
    type: "string",
    group: "output",
    help:
      "two quantile regression runs LO,HI (e.g. τ = 0.1 and 0.9): the band between their curves",
  },
  ...functionFigureFlags,
  help: { type: "boolean", group: "general", default: false, help: "print this help and exit" },
};

/**
 * Runs the `report` subcommand with `args` (the words after `report`); returns the exit
 * code: 0 on success, 2 for a bad flag or an unreadable metrics file (one line on stderr
 * naming it), 1 for other failures.
 */
export async function runReport(args: string[]): Promise<number> {
  try {
    const { values, positionals, given } = parseFlags(FLAGS, args);
    if (values.help) {
      console.log(helpText(USAGE, FLAGS));
      return 0;
    }
    if (values.serve !== undefined) {
      return await serveRuns(String(values.serve), String(values.listen));
    }
    const logLoss = values["log-loss"] === true;
    if (values.activations !== undefined || values.losses !== undefined) {
      return await writeFunctionFigure(values, positionals, given);
    }
    if (values.sweep !== undefined) {
      if (positionals.length) {
        throw new UsageError(positionals[0], "metrics files cannot be given with --sweep");
      }
      if (given.has("out")) {
        throw new UsageError("--out", "the report of --sweep DIR is DIR/report.md");
      }
      const report = await writeSweepReport(String(values.sweep), { logLoss });
      console.log(`report: wrote ${report.path} and ${report.svgs.length} SVG files`);
      return 0;
    }
    if (values.fit !== undefined || values.band !== undefined) {
      if (positionals.length) {
        throw new UsageError(positionals[0], "metrics files cannot be given with --fit or --band");
      }
      const out = String(values.out);
      await writeReport(out, await fitReport(values.fit as string, values.band as string));
      console.log(`report: wrote ${out} (fitted curves)`);
      return 0;
    }
    if (positionals.length === 0) {
      throw new UsageError(
        "FILE",
        "expected at least one metrics file or run folder, or --sweep DIR (see --help)",
      );
    }
    const names = runNames(positionals);
    const runs = await Promise.all(positionals.map(async (given, i): Promise<CurveRun> => {
      const path = await metricsFileOf(given);
      const records = await readMetrics(path);
      if (records.length === 0) throw new DataFormatError(path, "no metrics records in file");
      return { name: names[i], color: PALETTE[i % PALETTE.length], records };
    }));
    const out = String(values.out);
    const panels = [...metricsPanels(runs, { logLoss }), ...entropyPanels(runs)];
    const svg = lineChartSvg(withRegressionPanels(panels, runs), {
      title: "gradmesh training report",
      legend: [...runs.map((r) => ({ label: r.name, color: r.color })), ...TRAIN_TEST_KEY],
    });
    await writeReport(out, svg);
    console.log(`report: wrote ${out} (${runs.length} metrics file${runs.length > 1 ? "s" : ""})`);
    return 0;
  } catch (e) {
    if (!(e instanceof GradmeshError)) throw e;
    console.error(`report: ${e.message}`);
    return e.exitCode;
  }
}

/** Writes `svg` to `out` atomically; a failure names `--out`. */
async function writeReport(out: string, svg: string): Promise<void> {
  try {
    await writeTextAtomic(out, svg);
  } catch (e) {
    throw new UsageError("--out", `cannot write ${out}: ${(e as Error).message}`);
  }
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

/** The metrics file of `path`: itself, or for a run folder the `metrics.jsonl` in it. */
async function metricsFileOf(path: string): Promise<string> {
  const isDir = await Deno.stat(path).then((info) => info.isDirectory, () => false);
  if (!isDir) return path;
  const file = join(path, "metrics.jsonl");
  if (await Deno.stat(file).then(() => true, () => false)) return file;
  throw new DataFormatError(path, "a folder without metrics.jsonl: expected a run folder");
}
