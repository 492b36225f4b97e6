/**
 * The `sweep` subcommand: runs every configuration of a grid file (docs/sweeps.md) as a
 * `train` subprocess, N at a time, into `DIR/<grid>/<run>/`, recording each run's exit
 * status and wall time in `DIR/sweep.json`. Runs whose metrics file already has their
 * final epoch (and whose arguments have not changed) are skipped, so an interrupted sweep
 * resumes where it stopped. A failed run is reported and the others go on; the sweep
 * exits 1 if any failed.
 *
 * @module
 */

import { basename, extname, join } from "node:path";
import { UsageError } from "../core/errors.ts";
import { readMetrics } from "../core/metrics/jsonl.ts";
import { TRAIN_PERMISSIONS } from "../coordinator/job/deno_permissions.ts";
import { type FlagTable, helpText, parseFlags } from "./flags.ts";
import { type GridRun, gridRuns, loadGridFile } from "./grid.ts";
import {
  readSweepRecord,
  type SweepRecord,
  sweepRecordPath,
  SweepRecordWriter,
  type SweepRunRecord,
} from "./sweep_record.ts";

const USAGE = `usage: deno task sweep GRID.json [--parallel N] [--out DIR] [--backend B]

Runs every configuration of a grid file as a \`train\` subprocess (docs/sweeps.md), then
\`deno task report --sweep DIR\` tabulates and plots them.`;

const FLAGS: FlagTable = {
  parallel: { type: "integer", group: "parallel", default: 1, min: 1, help: "runs at a time" },
  out: {
    type: "string",
    group: "output",
    help: "sweep directory (default: runs/sweeps/<grid file name>)",
  },
  backend: {
    type: "string",
    group: "general",
    choices: ["auto", "webgpu", "cpu", "cpu-ref"],
    help: "backend of every run (default: the grid's, else auto)",
  },
  help: { type: "boolean", group: "general", default: false, help: "show this help" },
};

/** Runs `sweep` with `args`; returns the exit code. */
export async function runSweep(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(FLAGS, args);
  if (values.help) {
    console.log(helpText(USAGE, FLAGS));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new UsageError("GRID.json", `expected one grid file, got ${positionals.length}`);
  }
  const gridPath = positionals[0];
  const file = await loadGridFile(gridPath);
  const backend = values.backend as string | undefined;
  const runs = gridRuns(file, backend === undefined ? {} : { backend });
  const dir = (values.out as string | undefined) ??
    join("runs", "sweeps", basename(gridPath, extname(gridPath)));
  await Deno.mkdir(dir, { recursive: true });

  const previous = await readSweepRecord(dir);
  const record: SweepRecord = {
    grid_file: gridPath,
    grids: file.grids.map((g) => ({ name: g.name, axes: g.axes.map((a) => a.name) })),
    runs: await Promise.all(runs.map((run) => initialRecord(dir, run, previous))),
  };
  const writer = new SweepRecordWriter(dir, record);
  await writer.save();
  const todo = record.runs.filter((r) => r.status === "pending");
  const parallel = values.parallel as number;
  console.log(
    `sweep: ${runs.length} runs in ${file.grids.length} grid${file.grids.length > 1 ? "s" : ""}` +
      `${todo.length < runs.length ? `, ${runs.length - todo.length} already done` : ""}; ` +
      `${parallel} at a time into ${dir}`,
  );

  let completed = 0;
  await inPool(todo, parallel, async (run) => {
    Object.assign(run, await trainProcess(dir, run));
    await writer.save();
    const time = `${(run.wall_s ?? 0).toFixed(1)} s`;
    const outcome = run.status === "ok"
      ? `ok in ${time}`
      : `FAILED (exit ${run.exit_code}) in ${time}: ${run.error}`;
    console.log(`[${++completed}/${todo.length}] ${run.dir} ${outcome}`);
  });

  const failed = record.runs.filter((r) => r.status === "failed");
  console.log(
    `sweep: ${runs.length - failed.length} ok, ${failed.length} failed; ` +
      `record: ${sweepRecordPath(dir)}; tables and plots: deno task report --sweep ${dir}`,
  );
  for (const run of failed) console.error(`failed: ${run.dir}: ${run.error}`);
  return failed.length ? 1 : 0;
}

/**
 * A run's record: `ok` (with its earlier time, if known) when its metrics are complete and
 * an earlier record of the sweep does not show it with other arguments.
 */
async function initialRecord(
  dir: string,
  run: GridRun,
  previous: SweepRecord | null,
): Promise<SweepRunRecord> {
  const runDir = `${run.grid}/${run.name}`;
  const before = previous?.runs.find((r) => r.dir === runDir);
  const sameArgs = !before || JSON.stringify(before.args) === JSON.stringify(run.args);
  const done = sameArgs && await finished(join(dir, runDir, "metrics.jsonl"), run.epochs);
  return {
    grid: run.grid,
    name: run.name,
    dir: runDir,
    labels: { ...run.labels },
    args: [...run.args],
    epochs: run.epochs,
    status: done ? "ok" : "pending",
    exit_code: done ? 0 : null,
    wall_s: done ? before?.wall_s ?? null : null,
    error: null,
  };
}

/** Whether the metrics file at `path` has the record of epoch `epochs`. */
async function finished(path: string, epochs: number): Promise<boolean> {
  try {
    return (await readMetrics(path)).some((r) => r.kind === "epoch" && r.epoch === epochs);
  } catch {
    return false;
  }
}

/**
 * Runs `train` for `run` in a subprocess, its output in `<run dir>/output.log`; returns
 * the fields of its record that the run decides.
 */
async function trainProcess(
  dir: string,
  run: SweepRunRecord,
): Promise<Pick<SweepRunRecord, "status" | "exit_code" | "wall_s" | "error">> {
  const out = join(dir, run.dir);
  await Deno.mkdir(out, { recursive: true });
  const start = performance.now();
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      `--config=${new URL("../deno.json", import.meta.url).pathname}`,
      ...TRAIN_PERMISSIONS,
      new URL("./main.ts", import.meta.url).pathname,
      "train",
      ...run.args,
      `--out=${out}`,
      "--overwrite", // a run that did not finish, or had other arguments, starts over
      "--quiet",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wall_s = Math.round((performance.now() - start) / 10) / 100;
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stderr = decode(result.stderr);
  await Deno.writeTextFile(join(out, "output.log"), decode(result.stdout) + stderr);
  if (result.success) return { status: "ok", exit_code: 0, wall_s, error: null };
  // The one-line error of a typed failure, or an uncaught error's first line, or the last.
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const error = lines.find((l) => /^(gradmesh \w+:|error:)/.test(l)) ?? lines.at(-1) ??
    (result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`);
  return { status: "failed", exit_code: result.code, wall_s, error };
}

/** Calls `work` on every item, at most `n` at a time, in order of the items. */
async function inPool<T>(items: readonly T[], n: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, lane));
}
