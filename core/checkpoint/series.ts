/**
 * A run's checkpoints over time: every checkpoint is written atomically to
 * `checkpoints/step-<step>.safetensors` beside the run's `checkpoint.safetensors`, which is
 * then replaced (by a hard link, so the bytes are written once) to name the newest; only
 * the newest `keep` step files stay. {@link newestCheckpoint} finds where to continue from.
 *
 * @module
 */

import { CheckpointError } from "../errors.ts";
import { type Checkpoint, saveCheckpoint } from "./checkpoint.ts";

/** Default number of step checkpoints kept (`--keep-checkpoints`). */
export const DEFAULT_KEEP_CHECKPOINTS = 3;

const STEP_FILE = /^step-(\d+)\.safetensors$/;

function parentOf(path: string): string {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return slash < 0 ? "." : path.slice(0, Math.max(slash, 1));
}

/** The folder of step checkpoints that belongs to the run's `checkpoint.safetensors` at `latest`. */
export function seriesDir(latest: string): string {
  return `${parentOf(latest)}/checkpoints`;
}

/** The step checkpoints in `dir`, oldest first; none when `dir` does not exist. */
async function stepFiles(dir: string): Promise<{ step: number; path: string }[]> {
  const found: { step: number; path: string }[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = entry.isFile ? STEP_FILE.exec(entry.name) : null;
      if (match) found.push({ step: Number(match[1]), path: `${dir}/${entry.name}` });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw new CheckpointError(dir, `cannot list checkpoints: ${(e as Error).message}`);
  }
  return found.sort((a, b) => a.step - b.step);
}

/**
 * Saves `checkpoint`, taken after global step `step`, as the newest of the series whose
 * newest is always `latest`; keeps the newest `keep` step files. Each file is complete or
 * absent: a crash at any point leaves the previous newest intact.
 *
 * @example
 * ```ts
 * import { newestCheckpoint, saveInSeries } from "./series.ts";
 * const out = await Deno.makeTempDir();
 * const ckpt = { params: [], optimizer: [], epoch: 0, step: 5, rngState: [0], config: {} };
 * await saveInSeries(`${out}/checkpoint.safetensors`, 5, ckpt, 2);
 * console.log((await newestCheckpoint(out))?.step); // 5
 * ```
 */
export async function saveInSeries(
  latest: string,
  step: number,
  checkpoint: Checkpoint,
  keep = DEFAULT_KEEP_CHECKPOINTS,
): Promise<string> {
  const dir = seriesDir(latest);
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/step-${String(step).padStart(8, "0")}.safetensors`;
  await saveCheckpoint(path, checkpoint);
  const slash = Math.max(latest.lastIndexOf("/"), latest.lastIndexOf("\\"));
  const temp = `${latest.slice(0, slash + 1)}.${latest.slice(slash + 1)}.${
    crypto.randomUUID().slice(0, 8)
  }.tmp`;
  await Deno.link(path, temp);
  try {
    await Deno.rename(temp, latest);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw e;
  }
  const files = await stepFiles(dir);
  for (const old of files.slice(0, Math.max(0, files.length - keep))) {
    await Deno.remove(old.path).catch(() => {});
  }
  return path;
}

/** Where a run can continue from: a checkpoint and the global step it was taken after. */
export interface NewestCheckpoint {
  /** The checkpoint file. */
  readonly path: string;
  /** Global step, or null for a `checkpoint.safetensors` written without a series. */
  readonly step: number | null;
}

/**
 * The newest checkpoint of the run in `out`: its highest-numbered step checkpoint, else
 * its `checkpoint.safetensors`, else null (nothing to continue from).
 */
export async function newestCheckpoint(out: string): Promise<NewestCheckpoint | null> {
  const latest = `${out}/checkpoint.safetensors`;
  const files = await stepFiles(seriesDir(latest));
  if (files.length) return files[files.length - 1];
  try {
    await Deno.stat(latest);
    return { path: latest, step: null };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new CheckpointError(latest, `cannot read checkpoint: ${(e as Error).message}`);
  }
}
