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
  readonly name: string;
  readonly default: CatalogValue;
  readonly doc: string;
}

/** One argument of a catalogue entry. */
export const catalogArg = (name: string, value: CatalogValue, doc: string): CatalogArg => ({
  name,
  default: value,
  doc,
});

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
