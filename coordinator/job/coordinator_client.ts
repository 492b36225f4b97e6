/**
 * A worker's side of the coordinator protocol: JSON over HTTP with the job token, every
 * failure turned into a {@link CoordinatorError} that names this rank and its step.
 *
 * @module
 */

import { CoordinatorError } from "./job_errors.ts";
import { sleep } from "../transport/sleep.ts";
import type {
  DoneReport,
  FailReport,
  HeartbeatReply,
  HeartbeatRequest,
  JoinReply,
  JoinRequest,
  MetricsReport,
  RecordsReport,
} from "./wire.ts";

/** Durations of a worker's last step, in milliseconds; absent before the first. */
export interface StepTiming {
  readonly stepMs?: number;
  readonly allReduceMs?: number;
}

const FIRST_RETRY_MS = 50;
const LONGEST_RETRY_MS = 1000;

/**
 * Talks to one coordinator.
 *
 * @example
 * ```ts ignore
 * import { CoordinatorClient } from "./coordinator_client.ts";
 * const client = new CoordinatorClient("http://127.0.0.1:29500", token);
 * const job = await client.join({ host, ringUrl, adapter }, 120_000);
 * client.rank = job.rank;
 * const { abort } = await client.heartbeat({ rank: job.rank, step: 0 }, 10_000);
 * ```
 */
export class CoordinatorClient {
  /** This worker's rank once it has one; named in errors. */
  rank: number | null = null;
  /** The last step this worker finished; named in errors. */
  step = 0;
  /** The round this worker joined (see `JoinReply.round`), once it has. */
  round: number | null = null;
  /** How long this worker's last step and its all-reduce took, reported with heartbeats. */
  timing: StepTiming = {};
  readonly #url: string;
  readonly #headers: Headers;

  constructor(url: string, token: string) {
    this.#url = url.replace(/\/+$/, "");
    this.#headers = new Headers({
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
    });
  }

  /**
   * Joins the rendezvous and waits for the world to complete. A coordinator that is not
   * listening yet is retried for `connectTimeoutMs`.
   */
  async join(request: JoinRequest, connectTimeoutMs: number): Promise<JoinReply> {
    const giveUpAt = Date.now() + connectTimeoutMs;
    for (let wait = FIRST_RETRY_MS;; wait = Math.min(2 * wait, LONGEST_RETRY_MS)) {
      try {
        return await this.#post("/v1/join", request) as JoinReply;
      } catch (error) {
        const unreachable = error instanceof CoordinatorError && error.cause !== undefined;
        if (!unreachable || Date.now() + wait > giveUpAt) throw error;
      }
      await sleep(wait);
    }
  }

  /**
   * Reports progress; the reply says whether to stop. Fails after `timeoutMs` without an
   * answer, or when `signal` aborts.
   */
  async heartbeat(
    request: HeartbeatRequest,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<HeartbeatReply> {
    return await this.#post("/v1/heartbeat", request, timeoutMs, signal) as HeartbeatReply;
  }

  /** Sends rank 0's epoch summary. */
  async metrics(report: MetricsReport): Promise<void> {
    await this.#post("/v1/metrics", report);
  }

  /** Sends rank 0's latest metrics records. */
  async records(report: RecordsReport): Promise<void> {
    await this.#post("/v1/records", report);
  }

  /** Reports that this rank gives up. Fails after `timeoutMs`. */
  async fail(report: FailReport, timeoutMs: number): Promise<void> {
    await this.#post("/v1/fail", report, timeoutMs);
  }

  /** Reports that this rank finished. */
  async done(report: DoneReport): Promise<void> {
    await this.#post("/v1/done", report);
  }

  async #post(
    path: string,
    body: unknown,
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const stop = new AbortController();
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = timeoutMs === undefined ? undefined : setTimeout(
      () => stop.abort(new Error(`no answer for ${(timeoutMs / 1000).toFixed(1)} s`)),
      timeoutMs,
    );
    try {
      let response: Response;
      try {
        response = await fetch(this.#url + path, {
          method: "POST",
          headers: this.#headers,
          body: JSON.stringify(body),
          signal: stop.signal,
        });
      } catch (error) {
        const why = stop.signal.aborted ? stop.signal.reason : error;
        throw this.#error(`unreachable: ${networkReason(why)}`, why);
      }
      const text = await response.text();
      if (response.ok) return text === "" ? null : this.#json(text);
      const what = response.status === 401 ? "refused the job token" : "refused the request";
      const message = `${what} (HTTP ${response.status}): ${errorOf(text)}`;
      throw this.#error(message, undefined, badConfiguration(text) ? 2 : 1);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  #json(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw this.#error(`answered something other than JSON: ${text.slice(0, 80)}`);
    }
  }

  #error(message: string, cause?: unknown, exitCode?: number): CoordinatorError {
    const error = new CoordinatorError(this.#url, this.rank, this.step, message, exitCode);
    if (cause !== undefined) error.cause = cause;
    return error;
  }
}

/**
 * Why a request got no answer: fetch wraps the socket error in a TypeError whose cause
 * carries the OS message. `CoordinatorError.cause` holds such an error.
 */
export function networkReason(error: unknown): string {
  return error instanceof Error ? String(error.cause ?? error.message) : String(error);
}

/** Whether an error answer says the job's configuration is bad (`exitCode: 2`). */
const badConfiguration = (text: string): boolean => {
  try {
    return JSON.parse(text).exitCode === 2;
  } catch {
    return false;
  }
};

const errorOf = (text: string): string => {
  try {
    return String(JSON.parse(text).error ?? text);
  } catch {
    return text;
  }
};
