/**
 * A worker's heartbeat on a thread of its own (`heartbeat_thread_entry.ts`), driven from
 * the main thread: start it, tell it each finished step, stop it. Why the worker must stop
 * comes back as the same errors `Heartbeat` (heartbeat.ts) gives.
 *
 * @module
 */

import { GradmeshError } from "../../core/errors.ts";
import { CoordinatorError, JobAbortedError, JobRestartError } from "./job_errors.ts";
import type { StepTiming } from "./coordinator_client.ts";

/** What the thread needs to beat. */
export interface HeartbeatStart {
  readonly url: string;
  readonly token: string;
  readonly rank: number;
  /** The round the worker joined. */
  readonly round: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/** Why the thread stopped, as plain data (errors do not cross threads whole). */
export type StopReason =
  | { kind: "aborted" | "restart"; rank: number; step: number; detail: string }
  | { kind: "coordinator"; url: string; rank: number | null; step: number; detail: string }
  | { kind: "other"; detail: string };

const asError = (r: StopReason): GradmeshError =>
  r.kind === "aborted"
    ? new JobAbortedError(r.rank, r.step, r.detail)
    : r.kind === "restart"
    ? new JobRestartError(r.rank, r.step, r.detail)
    : r.kind === "coordinator"
    ? new CoordinatorError(r.url, r.rank, r.step, r.detail)
    : new GradmeshError(r.detail);

/**
 * A thread that beats, once started, until {@link HeartbeatThread.stop}, or until it calls
 * `onStop` with why the worker must stop (see `Heartbeat` in heartbeat.ts). Create it early:
 * the thread loads its modules meanwhile (see {@link HeartbeatThread.ready}).
 */
export class HeartbeatThread {
  readonly #thread = new Worker(new URL("./heartbeat_thread_entry.ts", import.meta.url), {
    type: "module",
  });
  /** Resolves once the thread has loaded and can beat at once; rejects if it cannot load. */
  readonly ready: Promise<void> = new Promise((resolve, reject) => {
    this.#thread.onmessage = ({ data }) => data.ready && resolve();
    this.#thread.onerror = (e) => {
      e.preventDefault();
      reject(new GradmeshError(`heartbeat thread: ${e.message}`));
    };
  });

  /** Starts beating as `start` says. */
  start(start: HeartbeatStart, onStop: (error: GradmeshError) => void): void {
    this.#thread.onmessage = ({ data }) => {
      if (data.stopped) {
        this.stop();
        onStop(asError(data.stopped as StopReason));
      }
    };
    this.#thread.postMessage({ start });
  }

  /** Reports `step` as the last one this worker finished, and how long it and its all-reduce took. */
  stepped(step: number, timing: StepTiming): void {
    this.#thread.postMessage({ step, timing });
  }

  /** Stops beating. */
  stop(): void {
    this.#thread.terminate();
  }
}
