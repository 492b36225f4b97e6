/**
 * The one line a failed command prints: a typed error's message, with a configuration
 * field worded as the flag that sets it (`model` → `--model`, see {@link usageLine}); a system error (a file
 * that vanished, a disk that filled) or a failed allocation that escaped every typed
 * error, as its first line.
 *
 * @module
 */

import { firstLine } from "../core/bounded_read.ts";
import { GradmeshError, UsageError } from "../core/errors.ts";
import { usageLine } from "./usage_line.ts";

/** The line and exit code for `e`; null when `e` is a bug whose stack trace should show. */
export function errorLine(e: unknown): { line: string; exitCode: number } | null {
  if (e instanceof UsageError) return { line: usageLine(e), exitCode: e.exitCode };
  if (e instanceof GradmeshError) return { line: e.message, exitCode: e.exitCode };
  const system = Object.values(Deno.errors).some((type) => e instanceof type);
  const allocation = e instanceof RangeError && /allocation failed/i.test(e.message);
  return system || allocation ? { line: firstLine(e), exitCode: 1 } : null;
}
