/**
 * A worker's heartbeat: reports its step to the coordinator every interval, and stops the
 * worker when the reply says the job failed elsewhere or when the coordinator has been
 * unreachable for longer than the heartbeat timeout, so that no worker outlives a dead
 * launcher.
 *
 * @module
 */

import type { GradmeshError } from "../../core/errors.ts";
import { type CoordinatorClient, networkReason } from "./coordinator_client.ts";
import { CoordinatorError, JobAbortedError, JobRestartError } from "./job_errors.ts";

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  /** The client; its `rank` and `step` are what is reported. */
  readonly client: CoordinatorClient;
  readonly rank: number;
  readonly intervalMs: number;
  /** How long the coordinator may be unreachable before the worker gives up. */
  readonly timeoutMs: number;
  /** Called once, with why the worker must stop. */
  readonly onStop: (error: GradmeshError) => void;
}

/**
 * Beats until {@link Heartbeat.stop} or until it calls `onStop`.
 *
 * @example
 * ```ts ignore
 * import { Heartbeat } from "./heartbeat.ts";
 * const stop = new AbortController();
 * const heartbeat = new Heartbeat({
 *   client, rank: 1, intervalMs: 1000, timeoutMs: 10_000, onStop: (e) => stop.abort(e),
 * });
 * // … train, advancing client.step …
 * heartbeat.stop();
 * ```
 */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #cancel = new AbortController();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastAnswer = Date.now();

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#schedule();
  }

  /** Stops beating, abandoning a request in flight. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#cancel.abort();
  }

  #schedule(): void {
    if (!this.#cancel.signal.aborted) {
      this.#timer = setTimeout(() => this.#beat(), this.#options.intervalMs);
    }
  }

  async #beat(): Promise<void> {
    const { client, rank, timeoutMs } = this.#options;
    try {
      const { abort, restart } = await client.heartbeat(
        {
          rank,
          step: client.step,
          ...(client.round !== null && { round: client.round }),
          ...client.timing,
        },
        timeoutMs,
        this.#cancel.signal,
      );
      this.#lastAnswer = Date.now();
      if (abort !== null) {
        const Stop = restart ? JobRestartError : JobAbortedError;
        return this.#give(new Stop(rank, client.step, abort));
      }
    } catch (error) {
      if (this.#cancel.signal.aborted) return;
      if (!(error instanceof CoordinatorError)) throw error;
      // A refusal will not change; an unreachable coordinator may come back in time.
      if (error.cause === undefined) return this.#give(error);
      const silentMs = Date.now() - this.#lastAnswer;
      if (silentMs >= timeoutMs) {
        return this.#give(
          new CoordinatorError(
            error.url,
            rank,
            client.step,
            `unreachable for ${(silentMs / 1000).toFixed(1)} s: ${networkReason(error.cause)}`,
          ),
        );
      }
    }
    this.#schedule();
  }

  #give(error: GradmeshError): void {
    this.stop();
    this.#options.onStop(error);
  }
}
