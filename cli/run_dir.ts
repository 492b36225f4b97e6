/**
 * The output directory of a `train` run (`--out`): checked before anything is written —
 * a directory that already holds a run is refused unless the run continues it (`--resume`
 * of its own checkpoint) or `--overwrite` says to replace it; one that cannot be created
 * or written to is refused with the reason — then cleared of the temp files a killed
 * checkpoint write left, and removed again when the run fails before writing anything.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import { firstLine } from "../core/bounded_read.ts";
import { removeStaleTemps } from "../core/checkpoint/atomic.ts";
import { seriesDir } from "../core/checkpoint/series.ts";
import { UsageError } from "../core/errors.ts";

/** The files a run writes in its directory. */
const RUN_FILES = ["checkpoint.safetensors", "metrics.jsonl"];

/** A run directory that is ready to be written. */
export interface RunDir {
  readonly checkpointPath: string;
  readonly metricsPath: string;
  /** Names of stale temp files removed from it. */
  readonly removedTemps: readonly string[];
  /** Removes the directories this run created, as long as they are still empty. */
  discardIfEmpty(): Promise<void>;
}

/**
 * Checks, creates and tidies `out` for a run that resumes from `resume` (if given), as
 * described in the module doc; every refusal is a {@link UsageError} naming `--out`.
 */
export async function prepareRunDir(
  out: string,
  options: { overwrite: boolean; resume?: string },
): Promise<RunDir> {
  const fail = (message: string) => new UsageError("--out", message);
  const info = await statOrNull(out);
  if (info && !info.isDirectory) throw fail(`${out} exists and is not a directory`);
  if (info && !options.overwrite && !continues(out, options.resume)) {
    const held = [];
    for (const name of RUN_FILES) if (await statOrNull(join(out, name))) held.push(name);
    if (held.length) {
      throw fail(
        `${out} already holds a run (${held.join(", ")}); give --overwrite to replace it ` +
          `or --resume ${join(out, RUN_FILES[0])} to continue it`,
      );
    }
  }
  const created = await createDirs(out, fail);
  try {
    // Named like a checkpoint's temp file, so that a kill right here leaves nothing for good.
    const probe = join(out, `.write-test.${crypto.randomUUID().slice(0, 8)}.tmp`);
    await Deno.writeFile(probe, new Uint8Array(), { createNew: true });
    await Deno.remove(probe);
  } catch (e) {
    await removeEmpty(created);
    throw fail(`cannot write in ${out}: ${firstLine(e)}`);
  }
  return {
    checkpointPath: join(out, RUN_FILES[0]),
    metricsPath: join(out, RUN_FILES[1]),
    removedTemps: [
      ...await removeStaleTemps(out),
      ...(await statOrNull(series(out)) ? await removeStaleTemps(series(out)) : [])
        .map((name) => join(basename(series(out)), name)),
    ],
    discardIfEmpty: () => removeEmpty(created),
  };
}

/**
 * Whether `resume` is a checkpoint of the run in `out` (its `checkpoint.safetensors` or one
 * of its step checkpoints), i.e. the run goes on in its own directory.
 */
function continues(out: string, resume: string | undefined): boolean {
  if (resume === undefined) return false;
  const from = resolve(dirname(resume));
  return from === resolve(out) || from === resolve(series(out));
}

// The folder of `out`'s step checkpoints.
const series = (out: string) => seriesDir(join(out, RUN_FILES[0]));

/** Creates `out` and any missing parents; returns those it created, deepest first. */
async function createDirs(out: string, fail: (m: string) => UsageError): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = resolve(out); !(await statOrNull(dir)); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  try {
    await Deno.mkdir(out, { recursive: true });
  } catch (e) {
    await removeEmpty(missing);
    throw fail(`cannot create ${out}: ${firstLine(e)}`);
  }
  return missing;
}

async function removeEmpty(dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    try {
      await Deno.remove(dir); // fails, as it should, once the directory holds anything
    } catch {
      return;
    }
  }
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UsageError("--out", `cannot inspect ${path}: ${firstLine(e)}`);
  }
}
