/**
 * `gradmesh report FILE.jsonl [FILE2.jsonl ...] [--out report.svg]`: draws the loss and
 * accuracy curves of one or more metrics files into one SVG, one colour per file.
 * `gradmesh report --sweep DIR`: the Markdown table and SVGs of a sweep (cli/sweep_report.ts).
 *
 * @module
 */

import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { DataFormatError, GradmeshError, UsageError } from "../core/errors.ts";
import { readMetrics } from "../core/metrics/jsonl.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { type CurveRun, metricsPanels, PALETTE, TRAIN_TEST_KEY } from "./metrics_panels.ts";
import { lineChartSvg } from "./svg_chart.ts";
import { serveRuns } from "./report_serve.ts";
import { writeSweepReport } from "./sweep_report.ts";

const USAGE = `Usage: gradmesh report FILE.jsonl [FILE2.jsonl ...] [--out report.svg]
       gradmesh report --sweep DIR
       gradmesh report --serve DIR [--listen HOST:PORT]`;

const FLAGS: FlagTable = {
  out: { type: "string", default: "report.svg", help: "where to write the SVG" },
  "log-loss": { type: "boolean", default: false, help: "log scale for the loss axis" },
  sweep: {
    type: "string",
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
  help: { type: "boolean", default: false, help: "print this help and exit" },
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
    if (positionals.length === 0) {
      throw new UsageError(
        "FILE",
        "expected at least one metrics file, or --sweep DIR (see --help)",
      );
    }
    const names = runNames(positionals);
    const runs = await Promise.all(positionals.map(async (path, i): Promise<CurveRun> => {
      const records = await readMetrics(path);
      if (records.length === 0) throw new DataFormatError(path, "no metrics records in file");
      return { name: names[i], color: PALETTE[i % PALETTE.length], records };
    }));
    const out = String(values.out);
    const svg = lineChartSvg(metricsPanels(runs, { logLoss }), {
      title: "gradmesh training report",
      legend: [...runs.map((r) => ({ label: r.name, color: r.color })), ...TRAIN_TEST_KEY],
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
