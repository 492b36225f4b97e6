/**
 * Declarative command-line flags: one table gives parsing (Deno's built-in `node:util`
 * `parseArgs`), validation with one-line errors naming the flag, and `--help` text that
 * lists every flag with its default.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../core/errors.ts";
import { closestName } from "./closest_name.ts";
import { terminalWidth, wrapText } from "./wrap_text.ts";

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
  readonly group: FlagGroup;
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
 * Parses `args` against `table`. Unknown flags (with the nearest known one suggested),
 * missing values, non-numbers and values outside `choices`, below `min` or above `max`
 * throw a {@link UsageError} naming the flag. A value may be negative (`--seed -1`).
 */
export function parseFlags(
  table: FlagTable,
  args: readonly string[],
): { values: FlagValues; positionals: string[]; given: Set<string> } {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.type === "boolean" ? "boolean" : "string" };
  }
  const checked = checkedArgs(table, args);
  let parsed;
  try {
    parsed = parseArgs({
      args: checked,
      options,
      strict: true,
      allowPositionals: true,
    });
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

/**
 * `args` with every flag checked to be in `table`, and a negative number after a flag
 * that takes a value joined to it (`--seed -1` → `--seed=-1`): `parseArgs` would read it
 * as a short option.
 */
function checkedArgs(table: FlagTable, args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return [...out, ...args.slice(i)];
    if (!arg.startsWith("--")) {
      out.push(arg);
      continue;
    }
    const name = arg.slice(2).split("=")[0];
    const spec = table[name];
    if (!spec) {
      const near = closestName(name, Object.keys(table));
      throw new UsageError(
        `--${name}`,
        `unknown flag (${near ? `did you mean --${near}?` : "see --help"})`,
      );
    }
    const next = args[i + 1];
    if (spec.type !== "boolean" && !arg.includes("=") && /^-[\d.]/.test(next ?? "")) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
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

/**
 * The flags of a command that takes no positional arguments: its values, or null when
 * `--help` was given (the help is then printed). A positional argument is a
 * {@link UsageError}.
 */
export function commandFlags(
  table: FlagTable,
  usage: string,
  args: readonly string[],
): FlagValues | null {
  const { values, positionals } = parseFlags(table, args);
  if (values.help) {
    console.log(helpText(usage, table));
    return null;
  }
  if (positionals.length) {
    throw new UsageError(positionals[0], "unexpected argument (flags start with --)");
  }
  return values;
}

/** Choice lists up to this long print inline (`<a|b|c>`); longer ones on lines of their own. */
const INLINE_CHOICES = 24;
/** The description column starts at most this far in; longer flag names put it on the next line. */
const MAX_LABEL = 30;

/**
 * `--help` text: the usage lines, then every flag under its group's heading with its
 * values and default, wrapped to `width` columns (the terminal's, 80 when not one).
 */
export function helpText(usage: string, table: FlagTable, width = terminalWidth()): string {
  width = Math.max(width, 40);
  const entries = Object.entries(table);
  const label = ([name, s]: [string, FlagSpec]) => {
    if (s.type === "boolean") return `  --${name}`;
    const inline = s.choices && s.choices.join("|").length <= INLINE_CHOICES;
    return `  --${name} <${inline ? s.choices!.join("|") : s.choices ? "choice" : s.type}>`;
  };
  const column = Math.min(MAX_LABEL, Math.max(...entries.map((e) => label(e).length)) + 2);
  const indent = " ".repeat(column);
  const lines = usageLines(usage, width);
  for (const group of flagGroups) {
    const members = entries.filter(([, s]) => s.group === group);
    if (members.length === 0) continue;
    lines.push("", `${group[0].toUpperCase()}${group.slice(1)}:`);
    for (const entry of members) {
      const [, s] = entry;
      const head = label(entry);
      // A no-break space keeps "(default: X)" on one line.
      const text = s.help +
        (shownDefault(s) === undefined ? "" : ` (default:\u00a0${shownDefault(s)})`);
      const body = wrapText(text, width - column).map((l) => l.replaceAll("\u00a0", " "));
      if (head.length + 2 > column) lines.push(head, ...body.map((l) => indent + l));
      else lines.push(head.padEnd(column) + body[0], ...body.slice(1).map((l) => indent + l));
      if (s.choices && !label(entry).includes("|")) {
        lines.push(
          ...wrapText(`one of: ${s.choices.join(", ")}`, width - column).map((l) => indent + l),
        );
      }
    }
  }
  return lines.join("\n");
}

/**
 * The usage text wrapped to `width`: a paragraph of prose (no line indented, not a
 * "usage:" line) is reflowed; other lines keep their breaks and indentation.
 */
function usageLines(usage: string, width: number): string[] {
  return usage.split(/\n\s*\n/).flatMap((paragraph, i) => {
    const lines = paragraph.split("\n");
    const prose = !/^usage:/i.test(lines[0]) && lines.every((l) => !/^\s/.test(l));
    const wrapped = prose ? wrapText(paragraph, width) : lines.flatMap((line) => {
      const lead = line.match(/^\s*/)![0];
      return wrapText(line, width - lead.length).map((l) => lead + l);
    });
    return i === 0 ? wrapped : ["", ...wrapped];
  });
}

/**
 * The default worth printing: none when absent, empty, a placeholder ("null", "default")
 * or a switch that is off.
 */
function shownDefault(s: FlagSpec): string | undefined {
  const text = s.default === undefined ? "" : String(s.default);
  return ["", "null", "default", "false"].includes(text) ? undefined : text;
}
