/**
 * The learning-rate schedule of a run: built from the configuration and, when a run
 * resumes, replayed over the epochs already done so that the lr continues exactly.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { readMetrics } from "../metrics/jsonl.ts";
import { parseArgsJson } from "../catalog.ts";
import { scheduleByName, type ScheduleDriver } from "../optim/schedulers/registry.ts";
import type { LrTarget } from "../optim/schedulers/scheduler.ts";
import type { TrainConfig } from "./config.ts";

/**
 * The schedule of `config` over `target`, advanced past `doneEpochs` epochs of
 * `stepsPerEpoch` steps. ReduceLROnPlateau replays the training losses that the resumed
 * run logged in the `metrics.jsonl` beside its checkpoint `resume`.
 */
export async function runSchedule(
  config: TrainConfig,
  target: LrTarget,
  stepsPerEpoch: number,
  doneEpochs = 0,
  resume?: string,
): Promise<ScheduleDriver> {
  const schedule = scheduleByName(
    config.scheduler,
    target,
    parseArgsJson("schedulerArgs", config.schedulerArgs),
    { epochs: config.epochs, stepsPerEpoch },
  );
  if (doneEpochs === 0) return schedule;
  const losses = config.scheduler === "reduce-lr-on-plateau"
    ? await loggedLosses(`${(resume ?? "").replace(/[^/\\]*$/, "")}metrics.jsonl`, doneEpochs)
    : [];
  for (let e = 0; e < doneEpochs; e++) {
    for (let s = 0; s < stepsPerEpoch; s++) schedule.afterStep();
    schedule.afterEpoch(losses[e] ?? NaN);
  }
  return schedule;
}

async function loggedLosses(path: string, epochs: number): Promise<number[]> {
  const records = await readMetrics(path).catch(() => []);
  const losses = records.filter((r) => r.kind === "epoch").map((r) => r.train_loss).slice(
    0,
    epochs,
  );
  if (losses.length < epochs) {
    throw new UsageError(
      "resume",
      `reduce-lr-on-plateau resumes from the training losses in ${path}, which holds ` +
        `${losses.length} of the ${epochs} epochs done`,
    );
  }
  return losses;
}
