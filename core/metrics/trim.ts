/**
 * Making a metrics file fit the checkpoint a run resumes from: a run killed after it
 * logged an epoch but before that epoch's checkpoint was written, or in the middle of an
 * epoch, logged records that the resumed run writes again. They are dropped first, so the
 * file holds each epoch once.
 *
 * @module
 */

import { writeTextAtomic } from "../checkpoint/atomic.ts";
import { OutputError } from "../errors.ts";
import { firstLine } from "../bounded_read.ts";

/**
 * Removes from the metrics file at `path` every record of an epoch after `epochs` and a
 * torn last line (no newline: a write cut short); returns how many lines went. The file
 * is replaced atomically and only when something changes; a missing file is left missing.
 *
 * @example
 * ```ts
 * import { dropRecordsAfter } from "./trim.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await Deno.writeTextFile(path, '{"kind":"epoch","epoch":1}\n{"kind":"epoch","epoch":2}\n');
 * console.log(await dropRecordsAfter(path, 1)); // 1
 * ```
 */
export async function dropRecordsAfter(path: string, epochs: number): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw new OutputError(path, `cannot read metrics to continue them: ${firstLine(e)}`);
  }
  const lines = text.split("\n");
  const torn = lines.pop() !== "";
  const kept = lines.filter((line) => !(epochOf(line) > epochs));
  const dropped = lines.length - kept.length + (torn ? 1 : 0);
  if (dropped === 0) return 0;
  try {
    await writeTextAtomic(path, kept.map((line) => line + "\n").join(""));
  } catch (e) {
    throw new OutputError(path, `cannot rewrite metrics: ${firstLine(e)}`);
  }
  return dropped;
}

/** The `epoch` of a record line; NaN for a line that is not one (kept as it is). */
function epochOf(line: string): number {
  try {
    const epoch = JSON.parse(line)?.epoch;
    return typeof epoch === "number" ? epoch : NaN;
  } catch {
    return NaN;
  }
}
