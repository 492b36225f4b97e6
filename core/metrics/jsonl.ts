/**
 * The metrics file: JSON Lines, one object per line, a `"step"` record every few
 * training steps and an `"epoch"` record at the end of each epoch (with test metrics when
 * the run evaluated). Plots and `gradmesh report` read it back with {@link readMetrics}.
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
import { writeAll } from "../checkpoint/atomic.ts";
import { DataFormatError, OutputError } from "../errors.ts";

/** Fields every record has. */
export interface MetricsFields {
  /** Epoch, counted from 1. */
  epoch: number;
  /** Optimizer steps since the start of the run. */
  step: number;
  /** Mean training loss (since the previous step record, or over the epoch). */
  loss: number;
  /** Training accuracy as a fraction. */
  accuracy: number;
  /** Learning rate in use. */
  lr: number;
  /** Training throughput. */
  samples_per_s: number;
  /** Seconds since the run started. */
  wall_s: number;
  /** Steps dropped so far by `--on-nonfinite skip-step` (absent when none). */
  skipped_steps?: number;
}

/** A record written every few training steps. */
export interface StepRecord extends MetricsFields {
  /** A step record. */
  kind: "step";
}

/** A record written at the end of an epoch; test metrics are null when not evaluated. */
export interface EpochRecord extends MetricsFields {
  /** An epoch record. */
  kind: "epoch";
  /** Test loss, when evaluated. */
  test_loss: number | null;
  /** Test accuracy, when evaluated. */
  test_acc: number | null;
}

/** One line of a metrics file. */
export type MetricsRecord = StepRecord | EpochRecord;

const FLUSH_CHARS = 64 * 1024;

/**
 * An open metrics file. Records are buffered and written at every epoch record, when
 * about 64 KiB have accumulated, and on {@link MetricsLog.close}.
 *
 * @example
 * ```ts
 * import { MetricsLog, readMetrics } from "./jsonl.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * const log = await MetricsLog.open(path);
 * await log.write({
 *   kind: "step", epoch: 1, step: 10, loss: 0.5, accuracy: 0.9, lr: 0.05,
 *   samples_per_s: 1e4, wall_s: 0.1,
 * });
 * await log.close();
 * console.log((await readMetrics(path))[0].loss); // 0.5
 * ```
 */
export class MetricsLog {
  private pending: string[] = [];
  private pendingChars = 0;

  private constructor(private readonly file: Deno.FsFile, private readonly path: string) {}

  /**
   * Opens `path`, truncating it unless `append` (a resumed run continues its file). A file
   * that cannot be opened or written is an {@link OutputError} naming it.
   */
  static async open(path: string, append = false): Promise<MetricsLog> {
    try {
      const file = await Deno.open(path, { write: true, create: true, append, truncate: !append });
      return new MetricsLog(file, path);
    } catch (e) {
      throw new OutputError(path, `cannot write metrics: ${firstLine(e)}`);
    }
  }

  /** Queues one record; epoch records are flushed at once. */
  async write(record: MetricsRecord): Promise<void> {
    const line = JSON.stringify(withNonFinite(record)) + "\n";
    this.pending.push(line);
    this.pendingChars += line.length;
    if (record.kind === "epoch" || this.pendingChars >= FLUSH_CHARS) await this.flush();
  }

  /** Writes every queued record to the file. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const bytes = new TextEncoder().encode(this.pending.join(""));
    this.pending = [];
    this.pendingChars = 0;
    try {
      await writeAll(this.file, bytes);
    } catch (e) {
      throw new OutputError(this.path, `cannot write metrics: ${firstLine(e)}`);
    }
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.file.close();
    }
  }
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
  const numberOrNull = (key: string): number | null => {
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
  const num = (key: keyof MetricsFields) => numberOrNull(key) ?? NaN;
  const fields: MetricsFields = {
    epoch: num("epoch"),
    step: num("step"),
    loss: num("loss"),
    accuracy: num("accuracy"),
    lr: num("lr"),
    samples_per_s: num("samples_per_s"),
    wall_s: num("wall_s"),
    ...(typeof raw.skipped_steps === "number" && { skipped_steps: raw.skipped_steps }),
  };
  if (raw.kind === "step") return { kind: "step", ...fields };
  const optional = (key: string) => raw[key] === undefined ? null : numberOrNull(key);
  return {
    kind: "epoch",
    ...fields,
    test_loss: optional("test_loss"),
    test_acc: optional("test_acc"),
  };
}

function describe(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}
