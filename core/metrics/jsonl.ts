/**
 * The metrics file: JSON Lines, one object per line, a `"step"` record every few
 * training steps and an `"epoch"` record at the end of each epoch (with test metrics when
 * the run evaluated). Plots and `gradmesh report` read it back with {@link readMetrics}.
 * Keys follow PyTorch Lightning's: `train_loss`, `train_acc`, `test_loss`, `test_acc`,
 * `lr` (files that still say `loss` and `accuracy` read back the same).
 *
 * JSON has no NaN or ±∞: a non-finite number (a diverged loss) is written as `null`, and
 * the record gains `"nonfinite": {"<field>": "NaN" | "Infinity" | "-Infinity"}` naming
 * each such field and its value, so `{"loss": null, "nonfinite": {"loss": "NaN"}}` reads
 * back as a NaN loss. A `null` without that entry reads as `NaN` (as `null` in the test
 * fields, where null means "not evaluated").
 *
 * @module
 */

import { firstLine } from "../bounded_read.ts";
import { writeAll, writeTextAtomic } from "../checkpoint/atomic.ts";
import { DataFormatError, OutputError } from "../errors.ts";
import { CSV_HEADER, csvLine, csvPathBeside } from "./csv.ts";
import type { MetricsFields, MetricsRecord } from "./record.ts";
import { EventFileWriter } from "./tfevents.ts";
import { recordScalars } from "./record_scalars.ts";

export type { EpochRecord, MetricsFields, MetricsRecord, StepRecord } from "./record.ts";
import { REGRESSION_KEYS } from "./record.ts";
export { REGRESSION_KEYS };

const FLUSH_CHARS = 64 * 1024;

/** One output file of a {@link MetricsLog}, with the lines queued for it. */
class QueuedFile {
  lines: string[] = [];
  chars = 0;

  private constructor(readonly file: Deno.FsFile, readonly path: string) {}

  /** Opens `path` for writing, truncated unless `append`; an {@link OutputError} names it. */
  static async open(path: string, append: boolean): Promise<QueuedFile> {
    try {
      const file = await Deno.open(path, { write: true, create: true, append, truncate: !append });
      return new QueuedFile(file, path);
    } catch (e) {
      throw new OutputError(path, `cannot write metrics: ${firstLine(e)}`);
    }
  }

  queue(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
  }

  async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const bytes = new TextEncoder().encode(this.lines.join(""));
    this.lines = [];
    this.chars = 0;
    try {
      await writeAll(this.file, bytes);
    } catch (e) {
      throw new OutputError(this.path, `cannot write metrics: ${firstLine(e)}`);
    }
  }
}

/**
 * An open metrics file, with its CSV copy beside it (`metrics.csv`, see
 * core/metrics/csv.ts) and, when asked, TensorBoard event files. Records are buffered
 * and written at every epoch record, when about 64 KiB have accumulated, and on
 * {@link MetricsLog.close}.
 *
 * @example
 * ```ts
 * import { MetricsLog, readMetrics } from "./jsonl.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const log = await MetricsLog.open(path);
 * await log.write({
 *   kind: "step", epoch: 1, step: 10, train_loss: 0.5, train_acc: 0.9, lr: 0.05,
 *   samples_per_s: 1e4, wall_s: 0.1,
 * });
 * await log.close();
 * console.log((await readMetrics(path))[0].train_loss); // 0.5
 * ```
 */
export class MetricsLog {
  private constructor(
    private readonly jsonl: QueuedFile,
    private readonly csv: QueuedFile | null,
    private readonly events: EventFileWriter | null,
  ) {}

  /**
   * Opens `path` and, when it is named `X.jsonl`, the CSV `X.csv` beside it, truncating them
   * unless `append` (a resumed run continues its file; the CSV is then rebuilt from it,
   * atomically, so that both hold the same records), and a new event file in
   * `tensorboardDir` when given. A file that cannot
   * be opened or written is an {@link OutputError} naming it.
   */
  static async open(
    path: string,
    append = false,
    tensorboardDir: string | null = null,
  ): Promise<MetricsLog> {
    const jsonl = await QueuedFile.open(path, append);
    const opened = [jsonl.file];
    try {
      const csvPath = csvPathBeside(path);
      const csv = csvPath === null ? null : await openCsv(csvPath, path, append);
      if (csv) opened.push(csv.file);
      const events = tensorboardDir === null ? null : await EventFileWriter.open(tensorboardDir);
      return new MetricsLog(jsonl, csv, events);
    } catch (e) {
      for (const file of opened) file.close();
      throw e;
    }
  }

  /** Queues one record; epoch records are flushed at once. */
  async write(record: MetricsRecord): Promise<void> {
    this.jsonl.queue(JSON.stringify(withNonFinite(record)) + "\n");
    this.csv?.queue(csvLine(record));
    const wallTime = Date.now() / 1000;
    for (const [tag, value] of recordScalars(record)) {
      this.events?.add({ wallTime, step: record.step, tag, value });
    }
    if (record.kind === "epoch" || this.jsonl.chars >= FLUSH_CHARS) await this.flush();
  }

  /** Writes every queued record to the files. */
  async flush(): Promise<void> {
    await this.jsonl.flush();
    await this.csv?.flush();
    await this.events?.flush();
  }

  /** Flushes and closes the files. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.jsonl.file.close();
      this.csv?.file.close();
      await this.events?.close();
    }
  }
}

/**
 * The CSV of the metrics file `jsonlPath`: a fresh one with its header, or for `append`
 * one rebuilt (atomically) from the records that file holds, opened to go on after them.
 */
async function openCsv(path: string, jsonlPath: string, append: boolean): Promise<QueuedFile> {
  if (append) {
    const lines = (await readMetrics(jsonlPath)).map(csvLine);
    try {
      await writeTextAtomic(path, CSV_HEADER + lines.join(""));
    } catch (e) {
      throw new OutputError(path, `cannot write metrics: ${firstLine(e)}`);
    }
  }
  const csv = await QueuedFile.open(path, append);
  if (!append) csv.queue(CSV_HEADER);
  return csv;
}

/**
 * Reads a metrics file. Blank lines are skipped; a line that is not a JSON record of a
 * known kind with numeric fields throws a {@link DataFormatError} naming the file and
 * line number, as does a missing file.
 */
export async function readMetrics(path: string): Promise<MetricsRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new DataFormatError(path, `cannot read metrics: ${reason}`);
  }
  const records: MetricsRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() !== "") records.push(parseRecord(line, path, i + 1));
  });
  return records;
}

/** `record` with its non-finite numbers as `null`, listed under `nonfinite`. */
function withNonFinite(record: MetricsRecord): object {
  const nonfinite = Object.entries(record).filter(([, v]) =>
    typeof v === "number" && !Number.isFinite(v)
  );
  if (nonfinite.length === 0) return record;
  return {
    ...record,
    ...Object.fromEntries(nonfinite.map(([k]) => [k, null])),
    nonfinite: Object.fromEntries(nonfinite.map(([k, v]) => [k, String(v)])),
  };
}

/** The names of files written before the keys took PyTorch Lightning's (`train_loss`). */
const LEGACY_KEYS: Record<string, string> = { train_loss: "loss", train_acc: "accuracy" };

const NON_FINITE: Record<string, number> = {
  NaN: NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
};

function parseRecord(line: string, path: string, lineNumber: number): MetricsRecord {
  const fail = (message: string) => new DataFormatError(path, `line ${lineNumber}: ${message}`);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw fail(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== "object" || value === null) throw fail("expected a JSON object");
  const raw = value as Record<string, unknown>;
  if (raw.kind !== "step" && raw.kind !== "epoch") {
    throw fail(`expected "kind" to be "step" or "epoch", got ${describe(raw.kind)}`);
  }
  const nonfinite = raw.nonfinite ?? {};
  if (typeof nonfinite !== "object") {
    throw fail(`expected "nonfinite" to be an object, got ${describe(nonfinite)}`);
  }
  const numberOrNull = (name: string): number | null => {
    const key = raw[name] === undefined && LEGACY_KEYS[name] in raw ? LEGACY_KEYS[name] : name;
    const v = raw[key];
    const special = (nonfinite as Record<string, unknown>)[key];
    if (v === null && special !== undefined) {
      if (typeof special === "string" && Object.hasOwn(NON_FINITE, special)) {
        return NON_FINITE[special];
      }
      throw fail(`expected "nonfinite.${key}" to be "NaN", "Infinity" or "-Infinity"`);
    }
    if (v === null || typeof v === "number") return v;
    throw fail(`expected "${key}" to be a number or null, got ${describe(v)}`);
  };
  const num = (key: string) => numberOrNull(key) ?? NaN;
  const fields: MetricsFields = {
    epoch: num("epoch"),
    step: num("step"),
    train_loss: num("train_loss"),
    // A regression run's records have no accuracy.
    train_acc: raw.train_acc === undefined && raw.accuracy === undefined ? NaN : num("train_acc"),
    lr: num("lr"),
    samples_per_s: num("samples_per_s"),
    wall_s: num("wall_s"),
    ...(typeof raw.skipped_steps === "number" && { skipped_steps: raw.skipped_steps }),
    ...(raw.train_entropy !== undefined && { train_entropy: num("train_entropy") }),
  };
  if (raw.kind === "step") return { kind: "step", ...fields };
  const optional = (key: string) => raw[key] === undefined ? null : numberOrNull(key);
  return {
    kind: "epoch",
    ...fields,
    test_loss: optional("test_loss"),
    test_acc: optional("test_acc"),
    ...Object.fromEntries(
      REGRESSION_KEYS.filter((k) => raw[k] !== undefined).map((k) => [k, num(k)]),
    ),
    ...(raw.test_entropy !== undefined && { test_entropy: optional("test_entropy") }),
  };
}

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}
