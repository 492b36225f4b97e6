/**
 * The `--dashboard` flag and a run's dashboard: where it listens (`HOST:PORT`, `off`, or
 * `auto`, which is loopback on a free port when stderr is a terminal and off otherwise, so
 * scripts, tests and benchmarks stay quiet), and the one stderr line with its address.
 *
 * @module
 */

import { UsageError } from "../core/errors.ts";
import { sleep } from "../coordinator/transport/sleep.ts";
import type { MetricsRecord } from "../core/metrics/jsonl.ts";
import {
  DashboardFeed,
  type JobView,
  type RunState,
} from "../coordinator/dashboard/dashboard_feed.ts";
import type { Hono } from "hono";
import { dashboardApp } from "../coordinator/dashboard/dashboard_app.ts";
import { isLoopback } from "../coordinator/dashboard/dashboard_auth.ts";
import { serveDashboard } from "../coordinator/dashboard/dashboard_server.ts";
import { followJob } from "../coordinator/dashboard/job_view.ts";
import type { JobStatus } from "../coordinator/job/wire.ts";
import type { FlagTable } from "./flags.ts";

/** `--dashboard`, for `train` (and `coordinator`, which takes `train`'s flags). */
export const dashboardFlags: FlagTable = {
  dashboard: {
    type: "string",
    group: "output",
    default: "auto",
    help: "live dashboard at HOST:PORT (port 0: a free one; off loopback it needs the job " +
      "token), off, or auto: 127.0.0.1:0 when stderr is a terminal, else off",
  },
};

/** Where a dashboard listens. */
export interface DashboardAddress {
  /** Interface to bind. */
  readonly hostname: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
}

/**
 * The address `value` of `--dashboard` asks for, or null for none; `auto` is loopback on a
 * free port when `interactive`.
 *
 * @example
 * ```ts
 * import { dashboardAddress } from "./dashboard.ts";
 * dashboardAddress("0.0.0.0:8080", false); // { hostname: "0.0.0.0", port: 8080 }
 * dashboardAddress("[::1]:0", false); // { hostname: "::1", port: 0 }
 * dashboardAddress("auto", false); // null
 * ```
 */
export function dashboardAddress(value: string, interactive: boolean): DashboardAddress | null {
  if (value === "off") return null;
  if (value === "auto") return interactive ? { hostname: "127.0.0.1", port: 0 } : null;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new UsageError(
      "--dashboard",
      `expected HOST:PORT (port 0 to 65535), off or auto, got ${JSON.stringify(value)}`,
    );
  }
  return { hostname: match[1] ?? match[2], port };
}

/** A run's dashboard, listening. */
export interface RunDashboard {
  /** Takes one of the run's metrics records (a `fit` callback). */
  onRecord(record: MetricsRecord): void;
  /** Takes the run's metrics records (a coordinator's `onRecords`). */
  addRecords(records: readonly MetricsRecord[]): void;
  /** Sets the run's state (and the failure, naming the rank, when it failed). */
  setState(state: RunState, error?: string): void;
  /** Replaces the job's whole view (data-parallel runs: ranks and their timings). */
  setJob(job: JobView): void;
  /** Stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the dashboard of run `run` when `value` (of `--dashboard`) asks for one, and
 * prints its address to stderr; null when it does not.
 */
export function startRunDashboard(
  value: string,
  run: string,
  token: string,
  world = 1,
): RunDashboard | null {
  const address = dashboardAddress(value, Deno.stderr.isTerminal());
  if (!address) return null;
  const feed = new DashboardFeed(run);
  let server;
  try {
    server = serveDashboard({ feeds: new Map([[run, feed]]), token, ...address });
  } catch (e) {
    throw new UsageError("--dashboard", `cannot listen on ${value}: ${(e as Error).message}`);
  }
  console.error(`dashboard: ${server.url}`);
  let job: JobView = { state: "joining", error: null, world, ranks: [] };
  feed.setJob(job);
  return {
    onRecord: (record) => feed.addRecords([record]),
    addRecords: (records) => feed.addRecords(records),
    setState(state, error) {
      job = { ...job, state, error: error ?? null };
      feed.setJob(job);
    },
    setJob(next) {
      job = next;
      feed.setJob(job);
    },
    close: () => server.shutdown(),
  };
}

/**
 * Waits for `work` with `dashboard` (when there is one) showing the run as training, then
 * as finished or failed with the error's message; closes the dashboard at the end.
 */
export async function watched<T>(dashboard: RunDashboard | null, work: Promise<T>): Promise<T> {
  dashboard?.setState("training");
  try {
    const result = await work;
    dashboard?.setState("finished");
    return result;
  } catch (e) {
    dashboard?.setState("failed", e instanceof Error ? e.message : String(e));
    throw e;
  } finally {
    await dashboard?.close();
  }
}

/**
 * Waits for a data-parallel job to end with `dashboard` (when there is one) following its
 * coordinator's status: state, ranks, timings, and at the end the failure naming the rank;
 * closes the dashboard at the end.
 */
export async function watchedJob(
  dashboard: RunDashboard | null,
  job: { readonly finished: Promise<void>; status(): JobStatus },
): Promise<void> {
  if (!dashboard) return await job.finished;
  const unfollow = followJob(() => job.status(), (view) => dashboard.setJob(view));
  try {
    await job.finished;
  } finally {
    unfollow();
    await dashboard.close();
  }
}

/** The dashboard on a coordinator's own address (its server buffers replies: polled). */
export interface CoordinatorDashboard {
  /** The app to mount on the coordinator's. */
  readonly app: Hono;
  /** Takes rank 0's records (the coordinator's `onRecords`). */
  addRecords(records: readonly MetricsRecord[]): void;
  /** Follows the coordinator's status; returns the call that stops it. */
  follow(status: () => JobStatus): () => void;
  /**
   * Waits long enough for a page that polled lately to poll once more (and see how the
   * job ended); returns at once when no page is watching.
   */
  linger(): Promise<void>;
}

/** How long a page that polls every second may have been away and still count as watching. */
const WATCHING_MS = 5_000;
/** A little over the page's poll interval. */
const LINGER_MS = 1_500;

/**
 * The dashboard of `coordinator`'s run `runId`, unless `value` (of `--dashboard`) is `off`;
 * bound off loopback (`host`), it requires the job token.
 */
export function coordinatorDashboard(
  value: string,
  runId: string,
  token: string,
  host: string,
): CoordinatorDashboard | null {
  if (value === "off") return null;
  if (value !== "auto") {
    throw new UsageError(
      "--dashboard",
      "a coordinator shows its dashboard at its own address (--host, --port): give auto or off",
    );
  }
  const feed = new DashboardFeed(runId);
  const feeds = new Map([[runId, feed]]);
  return {
    app: dashboardApp({ feeds, token: isLoopback(host) ? null : token, push: false }),
    addRecords: (records) => feed.addRecords(records),
    follow: (status) => followJob(status, (view) => feed.setJob(view)),
    linger: async () => {
      const read = feed.lastRead;
      if (read !== null && performance.now() - read < WATCHING_MS) await sleep(LINGER_MS);
    },
  };
}
