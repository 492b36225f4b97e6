/**
 * Grid files of `sweep` (docs/sweeps.md): a `base` of `train` flags and named `grids`,
 * each the cartesian product of its `axes` over the base. An axis value is a scalar (the
 * value of the flag the axis is named after) or an object setting several flags, with an
 * optional `label`. {@link gridRuns} expands a file into runs and checks every run's
 * flags with the parser `train` uses, so that a bad grid fails before anything runs.
 *
 * @module
 */

import { DataFormatError, UsageError } from "../core/errors.ts";
import { parseLayerSizes } from "../core/nn/mlp.ts";
import { objectiveByName } from "../core/train/objective.ts";
import { parseFlags } from "./flags.ts";
import { configFromFlags, trainFlags } from "./train_flags.ts";
import { usageLine } from "./usage_line.ts";

/** A flag value in a grid file. */
export type FlagValue = string | number | boolean;

/** `train` flags by name (without dashes). */
export type FlagSet = Readonly<Record<string, FlagValue>>;

/** One value of an axis: how tables and run names show it, and the flags it sets. */
export interface AxisValue {
  label: string;
  /** Its part of the names of the runs that have it. */
  namePart: string;
  flags: FlagSet;
}

/** One axis of a grid, its values in file order. */
export interface Axis {
  name: string;
  values: readonly AxisValue[];
}

/** One named grid: its own base flags over the file's, and its axes in file order. */
export interface Grid {
  name: string;
  base: FlagSet;
  axes: readonly Axis[];
}

/** A parsed grid file. */
export interface GridFile {
  path: string;
  base: FlagSet;
  grids: readonly Grid[];
}

/** One run of a grid: a unique, filesystem-safe name, its axis labels and `train` arguments. */
export interface GridRun {
  grid: string;
  name: string;
  /** Axis name → the label of this run's value. */
  labels: Readonly<Record<string, string>>;
  /** `train` arguments (`--flag=value`, `--flag` for true), without `--out` and `--quiet`. */
  args: readonly string[];
  /** Its `--epochs`: a metrics file with this epoch's record is a finished run. */
  epochs: number;
}

/** Flags the sweep sets itself (or that would fight its resume logic). */
const RESERVED = ["out", "quiet", "help", "resume"];

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit";

/**
 * Reads and parses the grid file at `path`; a missing or malformed file throws a
 * {@link DataFormatError} naming it and what is wrong.
 */
export async function loadGridFile(path: string): Promise<GridFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message;
    throw new DataFormatError(path, `cannot read the grid file: ${reason}`);
  }
  return parseGridFile(text, path);
}

/**
 * Parses the text of a grid file (`path` names it in errors). Checks the structure only;
 * {@link gridRuns} checks the flags.
 *
 * @example
 * ```ts
 * import { parseGridFile } from "./grid.ts";
 * const file = parseGridFile(
 *   '{"base": {"epochs": 2}, "grids": {"lr": {"axes": {"lr": [0.1, 0.01]}}}}',
 *   "g.json",
 * );
 * console.log(file.grids[0].axes[0].values.map((v) => v.label)); // [ "0.1", "0.01" ]
 * ```
 */
export function parseGridFile(text: string, path: string): GridFile {
  const fail = (where: string, message: string) =>
    new DataFormatError(path, `${where}: ${message}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(path, `not valid JSON (${(e as Error).message})`);
  }
  const top = object(json, "the file", fail);
  onlyKeys(top, ["base", "grids", "description"], "the file", fail);
  const base = flagSet(top.base ?? {}, "base", fail);
  const grids = object(top.grids, `"grids"`, fail);
  const names = Object.keys(grids);
  if (names.length === 0) throw fail(`"grids"`, "expected at least one named grid");
  return {
    path,
    base,
    grids: names.map((name) => {
      const where = `grid "${name}"`;
      if (!NAME.test(name)) {
        throw fail(where, `a grid name is a directory name: ${NAME_RULE}`);
      }
      const grid = object(grids[name], where, fail);
      onlyKeys(grid, ["base", "axes", "description"], where, fail);
      const axes = object(grid.axes, `${where} "axes"`, fail);
      if (Object.keys(axes).length === 0) {
        throw fail(`${where} "axes"`, "expected at least one axis");
      }
      return {
        name,
        base: flagSet(grid.base ?? {}, `${where} "base"`, fail),
        axes: Object.entries(axes).map(([axis, values]) => {
          if (!NAME.test(axis)) {
            throw fail(`${where} axis "${axis}"`, `an axis name is a file name: ${NAME_RULE}`);
          }
          return parseAxis(axis, values, `${where} axis "${axis}"`, fail);
        }),
      };
    }),
  };
}

type Fail = (where: string, message: string) => Error;

function parseAxis(name: string, raw: unknown, where: string, fail: Fail): Axis {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw fail(where, "expected a non-empty list of values");
  }
  return {
    name,
    values: raw.map((value, i): AxisValue => {
      if (isScalar(value)) {
        const label = String(value);
        const part = typeof value === "string" ? label : `${name}=${label}`;
        return { label, namePart: namePart(part), flags: { [name]: value } };
      }
      const at = `${where} value ${i + 1}`;
      const { label, ...rest } = object(value, at, fail);
      if (label !== undefined && (typeof label !== "string" || label.trim() === "")) {
        throw fail(at, `expected "label" to be a non-empty string, got ${JSON.stringify(label)}`);
      }
      const flags = flagSet(rest, at, fail);
      if (Object.keys(flags).length === 0) throw fail(at, "expected at least one flag");
      const text = (label as string | undefined) ??
        Object.entries(flags).map(([k, v]) => `${k}=${v}`).join(" ");
      return { label: text, namePart: namePart(text), flags };
    }),
  };
}

function flagSet(raw: unknown, where: string, fail: Fail): FlagSet {
  const flags = object(raw, where, fail);
  for (const [name, value] of Object.entries(flags)) {
    if (name.startsWith("-")) {
      throw fail(where, `"${name}": flag names are written without dashes`);
    }
    if (!isScalar(value)) {
      throw fail(where, `--${name}: expected a string, number or boolean, got ${json(value)}`);
    }
  }
  return flags as FlagSet;
}

function object(raw: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw fail(where, `expected a JSON object, got ${json(raw)}`);
  }
  return raw as Record<string, unknown>;
}

function onlyKeys(raw: object, allowed: readonly string[], where: string, fail: Fail): void {
  const extra = Object.keys(raw).find((k) => !allowed.includes(k));
  if (extra !== undefined) {
    throw fail(where, `unexpected key "${extra}" (expected ${allowed.join(", ")})`);
  }
}

function isScalar(value: unknown): value is FlagValue {
  return typeof value === "string" || typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value));
}

function json(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

/**
 * Every run of every grid of `file`, grid by grid, the first axis varying slowest; flags
 * are the file's base, then the grid's, then each axis value's, then `overrides` (the
 * sweep's own `--backend`). Each run's flags are checked as `train` checks them; the first
 * bad one throws a {@link DataFormatError} naming the file, the grid, the run and the flag.
 *
 * @example
 * ```ts
 * import { gridRuns, parseGridFile } from "./grid.ts";
 * const file = parseGridFile(
 *   '{"grids": {"g": {"axes": {"activation": ["relu", "tanh"], "lr": [0.1, 0.01]}}}}',
 *   "g.json",
 * );
 * console.log(gridRuns(file).map((r) => r.name));
 * // [ "relu_lr=0.1", "relu_lr=0.01", "tanh_lr=0.1", "tanh_lr=0.01" ]
 * ```
 */
export function gridRuns(file: GridFile, overrides: FlagSet = {}): GridRun[] {
  return file.grids.flatMap((grid) => {
    const taken = new Set<string>();
    return product(grid.axes).map((values): GridRun => {
      const name = uniqueName(values.map((v) => v.namePart).join("_"), taken);
      const flags = { ...file.base, ...grid.base };
      for (const v of values) Object.assign(flags, v.flags);
      Object.assign(flags, overrides);
      const labels = Object.fromEntries(grid.axes.map((axis, i) => [axis.name, values[i].label]));
      try {
        const args = trainArgs(flags);
        return { grid: grid.name, name, labels, args, epochs: checkTrainArgs(args) };
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        throw new DataFormatError(file.path, `grid "${grid.name}", run "${name}": ${usageLine(e)}`);
      }
    });
  });
}

/** The cartesian product of the axes' values, the last axis varying fastest. */
function product(axes: readonly Axis[]): AxisValue[][] {
  return axes.reduce<AxisValue[][]>(
    (runs, axis) => runs.flatMap((run) => axis.values.map((v) => [...run, v])),
    [[]],
  );
}

/**
 * How a value appears in run names: its label, a number or boolean prefixed with its axis
 * (`lr=0.01`), anything but letters, digits and `.=+-` turned into `-`.
 */
function namePart(label: string): string {
  return label.replace(/[^A-Za-z0-9.=+-]+/g, "-").replace(/^[-.]+|-+$/g, "") || "value";
}

function uniqueName(name: string, taken: Set<string>): string {
  let unique = name;
  for (let k = 2; taken.has(unique); k++) unique = `${name}-${k}`;
  taken.add(unique);
  return unique;
}

/** `train` arguments for `flags`: `--name=value`, `--name` for true, nothing for false. */
function trainArgs(flags: FlagSet): string[] {
  return Object.entries(flags).flatMap(([name, value]) => {
    const spec = trainFlags[name];
    const flag = `--${name}`;
    if (!spec || RESERVED.includes(name)) {
      throw new UsageError(flag, spec ? "set by the sweep itself" : "not a flag of train");
    }
    if ((spec.type === "boolean") !== (typeof value === "boolean")) {
      const expected = spec.type === "boolean" ? "true or false" : `a ${spec.type}`;
      throw new UsageError(flag, `expected ${expected}, got ${JSON.stringify(value)}`);
    }
    if (typeof value === "boolean") return value ? [flag] : [];
    return [`${flag}=${value}`];
  });
}

/** Checks `args` as `train` would before it loads anything; returns the run's epochs. */
function checkTrainArgs(args: readonly string[]): number {
  const { values } = parseFlags(trainFlags, args);
  const config = configFromFlags(values);
  parseLayerSizes(config.model);
  objectiveByName(config.loss, config);
  return config.epochs;
}
