/**
 * `--resume auto`: continue from the newest checkpoint in `--out` when there is one, and
 * start afresh when there is none, so that one command line serves a job's first start
 * and every restart after it (a requeued Slurm job, a restarted Kubernetes pod).
 *
 * @module
 */

import { newestCheckpoint } from "../core/checkpoint/series.ts";
import { UsageError } from "../core/errors.ts";
import type { FlagValues } from "./flags.ts";

/**
 * Replaces `--resume auto` in `values` by the newest checkpoint in `--out` (removes it when
 * there is none yet); returns a line saying which, or null when `--resume` is not `auto`.
 */
export async function resolveResumeAuto(values: FlagValues): Promise<string | null> {
  if (values.resume !== "auto") return null;
  const out = values.out as string | undefined;
  if (out === undefined) {
    throw new UsageError("--resume", "auto needs --out: the run folder to continue");
  }
  const newest = await newestCheckpoint(out);
  values.resume = newest?.path;
  return newest
    ? `resume auto: continuing from ${newest.path}`
    : `resume auto: no checkpoint in ${out} yet: starting afresh`;
}
