/**
 * What a dashboard shows of one run, and who is watching: the run's metrics records (the
 * ones its metrics file gets, as the run writes them), the job's state, and each rank's
 * timings. Changes go to every subscriber as they happen (the server-sent events of
 * `dashboard_app.ts`); {@link DashboardFeed.snapshot} is the whole picture at once.
 *
 * @module
 */

import type { MetricsRecord } from "../../core/metrics/jsonl.ts";

/** Where a run is: ranks still arriving, training, or ended one way or the other. */
export type RunState = "joining" | "training" | "failed" | "finished";

/** One rank of a data-parallel run, as the coordinator last heard of it. */
export interface RankView {
  /** Its rank. */
  readonly rank: number;
  /** The address it joined from. */
  readonly host: string;
  /** Last step the rank finished. */
  readonly step: number;
  /** Wall time of its last training step, in milliseconds (null before the first). */
  readonly stepMs: number | null;
  /** Wall time of its last gradient all-reduce, in milliseconds (null before the first). */
  readonly allReduceMs: number | null;
  /** Seconds since its last heartbeat (null while the rendezvous is open). */
  readonly heartbeatAgeS: number | null;
  /** Whether it reported itself done. */
  readonly done: boolean;
}

/** The job's side of a run: its state, why it failed, and its ranks. */
export interface JobView {
  /** Where the run is. */
  readonly state: RunState;
  /** The failure, naming the rank, when `state` is `failed`. */
  readonly error: string | null;
  /** Number of ranks (1 for a single-process run). */
  readonly world: number;
  /** Empty for a single-process run. */
  readonly ranks: readonly RankView[];
}

/** Everything a page needs to draw a run from scratch. */
export interface FeedSnapshot extends JobView {
  /** Name of the run. */
  readonly run: string;
  /** Its metrics records so far, oldest first (at most {@link MAX_FEED_RECORDS}). */
  readonly records: readonly MetricsRecord[];
}

/** A change: new records, a new job view, or the end of the feed. */
export type FeedEvent =
  | { readonly kind: "records"; readonly data: readonly MetricsRecord[] }
  | { readonly kind: "job"; readonly data: JobView }
  | { readonly kind: "closed" };

/**
 * Records kept per run; beyond it the oldest step records are dropped (epoch records
 * stay), so a very long run keeps bounded memory and a page loads in bounded time.
 */
export const MAX_FEED_RECORDS = 20_000;

/**
 * The live state of one run.
 *
 * @example
 * ```ts
 * import { DashboardFeed } from "./dashboard_feed.ts";
 * const feed = new DashboardFeed("run-1");
 * const seen: string[] = [];
 * feed.subscribe((event) => seen.push(event.kind));
 * feed.setJob({ state: "training", error: null, world: 1, ranks: [] });
 * feed.snapshot().state; // "training"
 * seen; // ["job"]
 * ```
 */
export class DashboardFeed {
  /** Name of the run. */
  readonly run: string;
  readonly #records: MetricsRecord[] = [];
  readonly #listeners = new Set<(event: FeedEvent) => void>();
  #job: JobView = { state: "joining", error: null, world: 1, ranks: [] };
  #jobJson = JSON.stringify(this.#job);
  #closed = false;
  #lastRead: number | null = null;

  /** A feed of run `run` that starts with `records` (a finished run's, say). */
  constructor(run: string, records: readonly MetricsRecord[] = []) {
    this.run = run;
    this.#keep(records);
  }

  /** Whether {@link DashboardFeed.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Adds records the run just wrote and tells every subscriber. */
  addRecords(records: readonly MetricsRecord[]): void {
    if (records.length === 0) return;
    this.#keep(records);
    this.#emit({ kind: "records", data: records });
  }

  /** Replaces the job view; subscribers hear of it only when it changed. */
  setJob(job: JobView): void {
    const json = JSON.stringify(job);
    if (json === this.#jobJson) return;
    this.#job = job;
    this.#jobJson = json;
    this.#emit({ kind: "job", data: job });
  }

  /** When {@link DashboardFeed.snapshot} was last called (`performance.now()`), or null. */
  get lastRead(): number | null {
    return this.#lastRead;
  }

  /** The run as it stands. */
  snapshot(): FeedSnapshot {
    this.#lastRead = performance.now();
    return { run: this.run, ...this.#job, records: [...this.#records] };
  }

  /** Calls `listener` with every change from now on; returns the call that stops it. */
  subscribe(listener: (event: FeedEvent) => void): () => void {
    if (this.#closed) {
      listener({ kind: "closed" });
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Ends every subscription (the server is shutting down). */
  close(): void {
    if (this.#closed) return;
    this.#emit({ kind: "closed" });
    this.#closed = true;
    this.#listeners.clear();
  }

  #keep(records: readonly MetricsRecord[]): void {
    this.#records.push(...records);
    let excess = this.#records.length - MAX_FEED_RECORDS;
    for (let i = 0; excess > 0 && i < this.#records.length;) {
      if (this.#records[i].kind === "step") {
        this.#records.splice(i, 1);
        excess--;
      } else i++;
    }
  }

  #emit(event: FeedEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }
}
