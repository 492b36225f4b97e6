/**
 * The shape of the catalogue that `gradmesh catalog` prints: every activation, loss,
 * optimizer, scheduler, initialiser and metric, each with its arguments in PyTorch's names
 * and their defaults.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** A value a catalogue argument takes. */
export type CatalogValue = number | string | boolean | readonly number[] | null;

/** One argument: PyTorch's name, its default (null: required or supplied by the run), a doc. */
export interface CatalogArg {
  /** PyTorch's argument name. */
  readonly name: string;
  /** PyTorch's default. */
  readonly default: CatalogValue;
  /** What it does, in a few words. */
  readonly doc: string;
}

/** One argument of a catalogue entry. */
export const catalogArg = (name: string, value: CatalogValue, doc: string): CatalogArg => ({
  name,
  default: value,
  doc,
});

/** What the catalogue prints of an entry: its name, its PyTorch counterpart, its arguments. */
export interface CatalogSpec {
  /** kebab-case name. */
  readonly name: string;
  /** What PyTorch calls it. */
  readonly pytorch: string;
  /** Its arguments in PyTorch's names with their defaults (null: required). */
  readonly args: readonly CatalogArg[];
}

/** The printed part of each of `defs`, without how to build it. */
export function catalogSpecs(defs: readonly CatalogSpec[]): CatalogSpec[] {
  return defs.map(({ name, pytorch, args }) => ({ name, pytorch, args }));
}

/** An entry's arguments by PyTorch name, every one present (defaults filled in). */
export type CatalogArgs = Readonly<Record<string, unknown>>;

/** Argument `name` of `args` as a number (`buildFromCatalog` has checked its type). */
export const numberArg = (args: CatalogArgs, name: string): number => args[name] as number;

/**
 * Parses the value of an `--*-args` flag: a JSON object of PyTorch argument names, e.g.
 * `{"T_max": 10}`; "" is `{}`. Anything else is a UsageError naming `flag`.
 */
export function parseArgsJson(flag: string, text: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(
      flag,
      `expected a JSON object such as {"T_max": 10}, got ${JSON.stringify(text)}`,
    );
  }
  return parsed as Record<string, unknown>;
}

/** A registry entry: what the catalogue prints, and how to build it from its arguments. */
export interface CatalogDef<T> {
  readonly name: string;
  readonly args: readonly CatalogArg[];
  readonly create: (args: CatalogArgs) => T;
}

/**
 * Builds `name`'s entry of `defs` from `args` (PyTorch's argument names; omitted ones take
 * their defaults). A UsageError names `kind` for an unknown name, and the entry for an
 * unknown argument, a missing required one (default null) or a value of another type than
 * its default (a required one is a number).
 */
export function buildFromCatalog<T>(
  kind: string,
  defs: readonly CatalogDef<T>[],
  name: string,
  args: CatalogArgs,
): T {
  const def = defs.find((d) => d.name === name);
  if (!def) {
    throw new UsageError(
      kind,
      `expected one of ${defs.map((d) => d.name).join(", ")}, got "${name}"`,
    );
  }
  for (const [key, value] of Object.entries(args)) {
    const spec = def.args.find((a) => a.name === key);
    if (!spec) {
      const expected = def.args.length
        ? `expected ${def.args.map((a) => a.name).join(", ")}`
        : "it takes none";
      throw new UsageError(name, `unknown argument "${key}" (${expected})`);
    }
    const type = spec.default === null ? "number" : typeof spec.default;
    const actual = typeof value;
    if (actual !== type) {
      throw new UsageError(name, `${key} must be a ${type}, got ${JSON.stringify(value)}`);
    }
  }
  const missing = def.args.find((a) => a.default === null && args[a.name] === undefined);
  if (missing) throw new UsageError(name, `argument "${missing.name}" is required`);
  return def.create(Object.fromEntries(def.args.map((a) => [a.name, args[a.name] ?? a.default])));
}
