/**
 * A data-parallel job as its dashboard shows it: the coordinator's status turned into a
 * {@link JobView} (phase to state, each rank's step, timings and heartbeat age), and a
 * poll that keeps a dashboard's view current while the job runs.
 *
 * @module
 */

import type { JobPhase, JobStatus } from "../job/wire.ts";
import type { JobView, RunState } from "./dashboard_feed.ts";

const STATES: Record<JobPhase, RunState> = {
  rendezvous: "joining",
  training: "training",
  done: "finished",
  failed: "failed",
};

/** How often {@link followJob} reads the coordinator's status. */
export const FOLLOW_EVERY_MS = 500;

/**
 * The dashboard's view of a job whose coordinator reports `status`.
 *
 * @example
 * ```ts
 * import { Coordinator } from "../job/coordinator.ts";
 * import { defaultTrainConfig } from "../../core/train/config.ts";
 * import { jobView } from "./job_view.ts";
 * const job = new Coordinator({ world: 2, config: defaultTrainConfig, out: "runs/x" });
 * jobView(job.status()).state; // "joining"
 * job.close();
 * ```
 */
export function jobView(status: JobStatus): JobView {
  return {
    state: STATES[status.phase],
    error: status.error,
    world: status.world,
    ranks: status.members.map((m) => ({
      rank: m.rank,
      host: m.host,
      step: m.step,
      stepMs: m.stepMs,
      allReduceMs: m.allReduceMs,
      heartbeatAgeS: m.heartbeatAgeS,
      done: m.done,
    })),
  };
}

/**
 * Calls `onView` with the view of `status()` now and every `everyMs`; returns the call
 * that stops it, which passes on the view at that moment one last time.
 */
export function followJob(
  status: () => JobStatus,
  onView: (view: JobView) => void,
  everyMs = FOLLOW_EVERY_MS,
): () => void {
  onView(jobView(status()));
  const timer = setInterval(() => onView(jobView(status())), everyMs);
  return () => {
    clearInterval(timer);
    onView(jobView(status()));
  };
}
