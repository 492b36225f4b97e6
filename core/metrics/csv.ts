/**
 * The metrics file as CSV (`metrics.csv` beside `metrics.jsonl`): a header row, then one
 * row per record with the same keys. An absent or null value (a test metric of an epoch
 * that was not evaluated) is an empty cell; non-finite numbers are `nan`, `inf`, `-inf`,
 * as pandas reads them.
 *
 * @module
 */

import { type MetricsRecord, REGRESSION_KEYS } from "./record.ts";

/** The columns, in order: every key a metrics record may have. */
export const CSV_COLUMNS = [
  "kind",
  "epoch",
  "step",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
  "lr",
  "samples_per_s",
  "wall_s",
  "skipped_steps",
  "train_entropy",
  "test_entropy",
  ...REGRESSION_KEYS,
] as const;

/** The header line (with its newline). */
export const CSV_HEADER = CSV_COLUMNS.join(",") + "\n";

/**
 * One record as a CSV line (with its newline).
 *
 * @example
 * ```ts
 * import { csvLine } from "./csv.ts";
 * csvLine({
 *   kind: "step", epoch: 1, step: 10, train_loss: NaN, train_acc: 0.5, lr: 0.1,
 *   samples_per_s: 100, wall_s: 1,
 * }); // "step,1,10,nan,0.5,,,0.1,100,1,,,,,,,,,,\n"
 * ```
 */
export function csvLine(record: MetricsRecord): string {
  const cells = CSV_COLUMNS.map((key) => cell((record as unknown as Record<string, unknown>)[key]));
  return cells.join(",") + "\n";
}

/** The CSV beside the metrics file `path` (`X.jsonl` → `X.csv`); null for other names. */
export function csvPathBeside(path: string): string | null {
  return path.endsWith(".jsonl") ? path.slice(0, -".jsonl".length) + ".csv" : null;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "number") return String(value);
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  return String(value);
}
