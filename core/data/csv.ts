/**
 * CSV files as regression data: the `--target` columns (names or 0-based indices; the
 * last column when none is named) are the targets and every other column is a feature.
 * Comma-separated, one record per line, fields optionally in double quotes (`""` inside
 * quotes is a quote). A bad cell is one {@link DataFormatError} naming the file, the row
 * (1-based line number) and the column.
 *
 * @module
 */

import { readFileBounded } from "../bounded_read.ts";
import { DataFormatError, UsageError } from "../errors.ts";
import type { RegressionTable } from "./regression_split.ts";

/** Whether the first row names the columns: `auto` guesses (any non-number cell). */
export type CsvHeader = "auto" | "yes" | "no";

/** The header choices of `--csv-header`. */
export const csvHeaderChoices: readonly CsvHeader[] = ["auto", "yes", "no"];

/** How a CSV file is read as a {@link RegressionTable}. */
export interface CsvOptions {
  /** Comma-separated column names or 0-based indices; "" for the last column. */
  readonly target: string;
  /** Whether the first row names the columns; `auto` guesses (`--csv-header`). */
  readonly header: CsvHeader;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Splits one line into fields, honouring double quotes; null for an unclosed quote. */
function fields(line: string): string[] | null {
  const out: string[] = [];
  let cell = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') cell += '"', i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") out.push(cell), cell = "";
    else cell += c;
  }
  out.push(cell);
  return quoted ? null : out.map((f) => f.trim());
}

/** The 0-based columns `target` names, given the header's names (null without a header). */
function targetColumns(target: string, names: string[] | null, width: number, file: string) {
  if (target === "") return [width - 1];
  const cols = target.split(",").map((t) => {
    const name = t.trim();
    const byName = names?.indexOf(name) ?? -1;
    if (byName >= 0) return byName;
    if (/^\d+$/.test(name) && Number(name) < width) return Number(name);
    const known = names ? `columns: ${names.join(", ")}` : `${width} columns, no header`;
    throw new UsageError("target", `no column "${name}" in ${file} (${known})`);
  });
  if (new Set(cols).size !== cols.length) {
    throw new UsageError("target", `names a column twice: "${target}"`);
  }
  if (cols.length >= width) {
    throw new UsageError("target", `leaves no feature column in ${file} (${width} columns)`);
  }
  return cols;
}

/**
 * Parses CSV `text` (from `file`, which errors name) into features and targets.
 *
 * @example
 * ```ts
 * import { parseCsv } from "./csv.ts";
 * const t = parseCsv("x,y\n1,2\n3,4\n", "d.csv", { target: "y", header: "auto" });
 * console.log(t.features, t.targets); // Float32Array(2) [ 1, 3 ] Float32Array(2) [ 2, 4 ]
 * ```
 */
export function parseCsv(text: string, file: string, options: CsvOptions): RegressionTable {
  const lines = text.split("\n").map((l, i) => ({ row: i + 1, cells: l.replace(/\r$/, "") }))
    .filter((l) => l.cells.trim() !== "");
  const rows = lines.map(({ row, cells }) => {
    const f = fields(cells);
    if (!f) throw new DataFormatError(file, `row ${row}: a quote is not closed`);
    return { row, f };
  });
  if (rows.length === 0) throw new DataFormatError(file, "holds no rows");
  const width = rows[0].f.length;
  const first = rows[0].f;
  const header = options.header === "yes" ||
    (options.header === "auto" && first.some((c) => !NUMBER.test(c)));
  const names = header ? first : null;
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw new DataFormatError(file, "holds a header but no data rows");
  const targets = targetColumns(options.target, names, width, file);
  const features = [...Array(width).keys()].filter((c) => !targets.includes(c));
  const table = {
    features: new Float32Array(data.length * features.length),
    targets: new Float32Array(data.length * targets.length),
    count: data.length,
    featureCount: features.length,
    targetCount: targets.length,
  };
  data.forEach(({ row, f }, i) => {
    if (f.length !== width) {
      throw new DataFormatError(file, `row ${row}: expected ${width} cells, got ${f.length}`);
    }
    const value = (c: number) => {
      if (NUMBER.test(f[c])) return Number(f[c]);
      const column = names ? `column "${names[c]}"` : `column ${c}`;
      throw new DataFormatError(
        file,
        `row ${row}, ${column}: expected a number, got ${JSON.stringify(f[c])}`,
      );
    };
    features.forEach((c, j) => table.features[i * features.length + j] = value(c));
    targets.forEach((c, j) => table.targets[i * targets.length + j] = value(c));
  });
  return table;
}

/**
 * 256 MiB: the largest CSV file read. Its text is split into cells in memory, several
 * times the file's size, before the cells become f32 values.
 */
export const MAX_CSV_BYTES = 2 ** 28;

/** Reads `file` (at most {@link MAX_CSV_BYTES}) and parses it with {@link parseCsv}. */
export async function loadCsv(file: string, options: CsvOptions): Promise<RegressionTable> {
  const fail = (message: string) => new DataFormatError(file, message);
  const bytes = await readFileBounded(file, MAX_CSV_BYTES, "the CSV file", fail);
  return parseCsv(new TextDecoder().decode(bytes), file, options);
}
