/**
 * `DIR/sweep.json`, what a sweep did: its grids and axes, and per run its directory, axis
 * labels, `train` arguments, status, exit code, wall time and error line. `sweep`
 * rewrites it atomically after every run; `report --sweep` reads it back.
 *
 * @module
 */

import { join } from "node:path";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { DataFormatError } from "../core/errors.ts";

/** One run of a sweep. */
export interface SweepRunRecord {
  grid: string;
  name: string;
  /** Its output directory, relative to the sweep directory: `<grid>/<name>`. */
  dir: string;
  /** Axis name → this run's value label. */
  labels: Record<string, string>;
  args: string[];
  epochs: number;
  /** `pending` until it has run; `ok` also for a run found finished and skipped. */
  status: "pending" | "ok" | "failed";
  exit_code: number | null;
  /** Wall time of its `train` process in seconds. */
  wall_s: number | null;
  /** The last line the run printed on stderr, when it failed. */
  error: string | null;
}

/** The whole file. */
export interface SweepRecord {
  grid_file: string;
  /** Grid names with their axis names, in file order. */
  grids: { name: string; axes: string[] }[];
  runs: SweepRunRecord[];
}

/** The path of a sweep's record file. */
export function sweepRecordPath(dir: string): string {
  return join(dir, "sweep.json");
}

/**
 * Reads `DIR/sweep.json`; null when there is none yet, a {@link DataFormatError} naming it
 * when it is not a sweep record.
 */
export async function readSweepRecord(dir: string): Promise<SweepRecord | null> {
  const path = sweepRecordPath(dir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DataFormatError(path, `cannot read the sweep record: ${(e as Error).message}`);
  }
  let record: SweepRecord;
  try {
    record = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(record?.grids) || !Array.isArray(record?.runs)) {
    throw new DataFormatError(path, `expected a sweep record with "grids" and "runs" lists`);
  }
  return record;
}

/**
 * Writes the record of a sweep in progress: each {@link SweepRecordWriter.save} replaces
 * the file atomically, one write at a time, so the file always holds the latest state.
 */
export class SweepRecordWriter {
  private last: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string, private readonly record: SweepRecord) {}

  /** Queues a write of the record as it is now; resolves when it is on disk. */
  save(): Promise<void> {
    const text = JSON.stringify(this.record, null, 2) + "\n";
    this.last = this.last.then(() => writeTextAtomic(sweepRecordPath(this.dir), text));
    return this.last;
  }
}
