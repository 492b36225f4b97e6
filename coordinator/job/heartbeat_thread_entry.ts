/**
 * The thread a worker's {@link Heartbeat} runs in (see `heartbeat_thread.ts`): it beats on
 * its own event loop, so a training step that holds the main thread for longer than the
 * heartbeat timeout (a big model on the CPU backend) does not read as a dead rank, while a
 * stopped or killed process still falls silent.
 *
 * Messages in: `{ start: HeartbeatStart }`, then `{ step, timing }` after every training
 * step.
 * Messages out: `{ ready: true }` once loaded; at most once, `{ stopped: StopReason }`.
 *
 * @module
 */

import { CoordinatorClient } from "./coordinator_client.ts";
import { Heartbeat } from "./heartbeat.ts";
import { CoordinatorError, JobAbortedError, JobRestartError } from "./job_errors.ts";
import type { HeartbeatStart, StopReason } from "./heartbeat_thread.ts";

const scope = self as unknown as {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: unknown): void;
};

let client: CoordinatorClient | undefined;

scope.onmessage = ({ data }: MessageEvent) => {
  if (data.start) {
    const start = data.start as HeartbeatStart;
    client = new CoordinatorClient(start.url, start.token);
    client.rank = start.rank;
    client.round = start.round;
    new Heartbeat({
      client,
      rank: start.rank,
      intervalMs: start.intervalMs,
      timeoutMs: start.timeoutMs,
      onStop: (error) => {
        const stopped: StopReason = error instanceof JobAbortedError
          ? {
            kind: error instanceof JobRestartError ? "restart" : "aborted",
            rank: error.rank,
            step: error.step,
            detail: error.reason,
          }
          : error instanceof CoordinatorError
          ? {
            kind: "coordinator",
            url: error.url,
            rank: error.rank,
            step: error.step,
            detail: error.detail,
          }
          : { kind: "other", detail: error.message };
        scope.postMessage({ stopped });
      },
    });
  } else if (client && typeof data.step === "number") {
    client.step = data.step;
    client.timing = data.timing;
  }
};

scope.postMessage({ ready: true });
