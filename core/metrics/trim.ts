/**
 * Making a metrics file fit the checkpoint a run resumes from: a run killed after it
 * logged an epoch but before that epoch's checkpoint was written, or in the middle of an
 * epoch, logged records that the resumed run writes again. They are dropped first, so the
 * file holds each step and epoch once.
 *
 * @module
 */

import { writeTextAtomic } from "../checkpoint/atomic.ts";
import { OutputError } from "../errors.ts";
import { firstLine } from "../bounded_read.ts";

/**
 * Removes from the metrics file at `path` every record of a step after `step` (the
 * checkpoint's global step; an epoch record carries its last step) and a torn last line (no newline: a write cut short); returns how many lines went. The file
 * is replaced atomically and only when something changes; a missing file is left missing.
 *
 * @example
 * ```ts
 * import { dropRecordsAfter } from "./trim.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"kind":"epoch","step":10}\n{"kind":"epoch","step":20}\n');
 * console.log(await dropRecordsAfter(path, 10)); // 1
 * ```
 */
export async function dropRecordsAfter(path: string, step: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw new OutputError(path, `cannot read metrics to continue them: ${firstLine(e)}`);
  }
  const lines = text.split("\n");
  const torn = lines.pop() !== "";
  const kept = lines.filter((line) => !(stepOf(line) > step));
  const dropped = lines.length - kept.length + (torn ? 1 : 0);
  if (dropped === 0) return 0;
  try {
    await writeTextAtomic(path, kept.map((line) => line + "\n").join(""));
  } catch (e) {
    throw new OutputError(path, `cannot rewrite metrics: ${firstLine(e)}`);
  }
  return dropped;
}

/** The `step` of a record line; NaN for a line that is not one (kept as it is). */
function stepOf(line: string): number {
  try {
    const step = JSON.parse(line)?.step;
    return typeof step === "number" ? step : NaN;
  } catch {
    return NaN;
  }
}
