/**
 * Declarative command-line flags: one table gives parsing (Deno's built-in `node:util`
 * `parseArgs`), validation with one-line errors naming the flag, and `--help` text that
 * lists every flag with its default.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.ts";

/** Sections of `--help`, in the order they print. */
export const flagGroups = [
  "data",
  "model",
  "optimization",
  "schedule",
  "checkpoints",
  "parallel",
  "output",
  "general",
] as const;

/** One section of `--help`. */
export type FlagGroup = typeof flagGroups[number];

/** One flag: its kind, default, allowed values, help line and `--help` section. */
export interface FlagSpec {
  readonly type: "string" | "number" | "integer" | "boolean";
  /** The `--help` section it prints under. */
  readonly group?: FlagGroup;
  readonly default?: string | number | boolean;
  readonly choices?: readonly string[];
  /** Smallest allowed value for numbers. */
  readonly min?: number;
  /** Numbers must be strictly greater than `min`. */
  readonly exclusiveMin?: boolean;
  /** Largest allowed value for numbers. */
  readonly max?: number;
  readonly help: string;
}

/** Flags by name (without the leading dashes). */
export type FlagTable = Record<string, FlagSpec>;

/** Parsed values (defaults filled in): string, number or boolean per flag (undefined when absent without default). */
export type FlagValues = Record<string, string | number | boolean | undefined>;

/**
 * Parses `args` against `table`. Unknown flags, missing values, non-numbers and values
 * outside `choices`, below `min` or above `max` throw a {@link UsageError} naming the flag.
 */
export function parseFlags(
  table: FlagTable,
  args: readonly string[],
): { values: FlagValues; positionals: string[]; given: Set<string> } {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(
      flagIn(String((e as Error).message)),
      `${(e as Error).message.split("\n")[0]} (see --help)`,
    );
  }
  const values: FlagValues = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    const raw = parsed.values[name] as string | boolean | undefined;
    values[name] = raw === undefined ? spec.default : convert(name, spec, raw);
    if (raw !== undefined) given.add(name);
  }
  return { values, positionals: parsed.positionals, given };
}

function flagIn(message: string): string {
  return message.match(/'(--?[\w-]+)/)?.[1] ?? "arguments";
}

function convert(name: string, spec: FlagSpec, raw: string | boolean): string | number | boolean {
  const flag = `--${name}`;
  if (spec.type === "boolean") return raw;
  const text = String(raw);
  if (spec.type === "string") {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new UsageError(flag, `expected one of ${spec.choices.join(", ")}, got "${text}"`);
    }
    return text;
  }
  const n = Number(text);
  const kind = spec.type === "integer" ? "an integer" : "a number";
  if (
    text.trim() === "" || !Number.isFinite(n) || (spec.type === "integer" && !Number.isInteger(n))
  ) {
    throw new UsageError(flag, `expected ${kind}, got "${text}"`);
  }
  if (spec.min !== undefined && (spec.exclusiveMin ? n <= spec.min : n < spec.min)) {
    throw new UsageError(
      flag,
      `expected ${kind} ${spec.exclusiveMin ? ">" : ">="} ${spec.min}, got ${text}`,
    );
  }
  if (spec.max !== undefined && n > spec.max) {
    throw new UsageError(flag, `expected ${kind} <= ${spec.max}, got ${text}`);
  }
  return n;
}

/** `--help` text: usage line, then every flag with its values and default. */
export function helpText(usage: string, table: FlagTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const value = s.type === "boolean" ? "" : ` <${s.choices ? s.choices.join("|") : s.type}>`;
    const def = s.default === undefined ? "" : ` (default: ${s.default})`;
    return [`  --${name}${value}`, `${s.help}${def}`];
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [usage, "", "Flags:", ...rows.map(([l, r]) => l.padEnd(width) + r)].join("\n");
}
