/**
 * The state of one data-parallel job: who joined (rendezvous), which phase it is in, the
 * last heartbeat of every rank, rank 0's epoch summaries, and how it ended. A monitor
 * fails the job when a rank falls silent for longer than the heartbeat timeout; a timer
 * fails it when the world does not complete in time. With `maxRestarts`, a failed rank
 * instead ends the round: every rank is told to stop, a new rendezvous opens, and the new
 * round resumes from the newest checkpoint in the output directory (torchrun's
 * `--max-restarts`). Transport-free: `coordinatorApp` puts it behind HTTP.
 *
 * @module
 */

import { DEFAULT_KEEP_CHECKPOINTS, newestCheckpoint } from "../../core/checkpoint/series.ts";
import { GradmeshError } from "../../core/errors.ts";
import type { MetricsRecord } from "../../core/metrics/jsonl.ts";
import type { TrainConfig } from "../../core/train/config.ts";
import type { RunningMetrics } from "../../core/train/device_metrics.ts";
import type { EpochSummary } from "../../core/train/fit.ts";
import { DEFAULT_BUCKET_ELEMS } from "./bucket_plan.ts";
import { MeshError } from "../transport/errors.ts";
import { DEFAULT_CHECKSUM_EVERY } from "./fit_mesh.ts";
import { JobStateError, RendezvousError, WireFormatError } from "./job_errors.ts";
import { mixedLinks } from "./link_mismatch.ts";
import { DEFAULT_CHUNK_ELEMS } from "../transport/ring_plan.ts";
import type {
  DoneReport,
  FailReport,
  HeartbeatReply,
  HeartbeatRequest,
  JobPhase,
  JobSettings,
  JobStatus,
  JoinReply,
  JoinRequest,
  MetricsReport,
  RecordsReport,
  RestartRecord,
} from "./wire.ts";

/** Default rendezvous timeout: how long the world may take to assemble. */
export const DEFAULT_RENDEZVOUS_TIMEOUT_MS = 120_000;
/** Default heartbeat timeout: a rank silent this long is declared dead. */
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 10_000;

/** Options of {@link Coordinator}. */
export interface CoordinatorOptions {
  /** Number of ranks. */
  readonly world: number;
  /** What every rank trains. */
  readonly config: TrainConfig;
  /** Output directory that rank 0 writes its checkpoint and metrics to. */
  readonly out: string;
  /**
   * Checkpoint that every rank restores before training, `config` being the one saved in
   * it; the path must be readable where each rank runs (shared storage on a cluster).
   */
  readonly resume?: string;
  /** Name of the run; a fresh timestamped one by default. */
  readonly runId?: string;
  /** Default {@link DEFAULT_RENDEZVOUS_TIMEOUT_MS}. */
  readonly rendezvousTimeoutMs?: number;
  /** Overrides of the job settings every rank receives. */
  readonly settings?: Partial<JobSettings>;
  /** Where joins and the start of training are logged. Default: nowhere. */
  readonly log?: (line: string) => void;
  /** Called with each epoch summary rank 0 reports. */
  readonly onEpoch?: (summary: EpochSummary) => void;
  /** Called with the metrics records rank 0 reports (the dashboard's). */
  readonly onRecords?: (records: readonly MetricsRecord[]) => void;
  /** Failures survived by starting a new round (torchrun's `--max-restarts`). Default 0. */
  readonly maxRestarts?: number;
  /** Called when a failure starts a new round (the local launcher respawns its workers). */
  readonly onRestart?: (round: number, cause: MeshError) => void;
  /**
   * How long a rank's own failure report waits before it is acted on, so that a launcher
   * that saw the culprit die ({@link Coordinator.lost}) names it first. Default 0.
   */
  readonly reportGraceMs?: number;
}

interface Member {
  readonly host: string;
  readonly ringUrl: string;
  readonly adapter: string;
  readonly requested: number | undefined;
  rank: number;
  step: number;
  lastHeartbeat: number;
  stepMs: number | null;
  allReduceMs: number | null;
  done: boolean;
  resolve(reply: JoinReply): void;
  reject(error: Error): void;
}

/**
 * Default wait of one ring all-reduce for a peer. The other ranks wait in the next
 * all-reduce while rank 0 evaluates and writes its checkpoint, so it must exceed that;
 * dead peers are caught sooner by the heartbeat monitor.
 */
export const DEFAULT_RING_TIMEOUT_MS = 120_000;

/**
 * A fresh run id: UTC date and time and four random hex digits, e.g. `20250102-030405-9f1c`.
 *
 * @example
 * ```ts
 * import { newRunId } from "./coordinator.ts";
 * newRunId(); // "20250102-030405-9f1c"
 * ```
 */
export function newRunId(): string {
  const time = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const salt = crypto.getRandomValues(new Uint16Array(1))[0].toString(16).padStart(4, "0");
  return `${time}-${salt}`;
}

/**
 * The job settings implied by `overrides` (undefined ones keep the default); the
 * heartbeat interval defaults to a tenth of the timeout.
 */
export function jobSettings(overrides: Partial<JobSettings> = {}): JobSettings {
  const given: Partial<JobSettings> = Object.fromEntries(
    Object.entries(overrides).filter(([, v]) => v !== undefined),
  );
  const heartbeatTimeoutMs = given.heartbeatTimeoutMs ?? DEFAULT_HEARTBEAT_TIMEOUT_MS;
  return {
    heartbeatTimeoutMs,
    heartbeatIntervalMs: Math.max(10, Math.round(heartbeatTimeoutMs / 10)),
    checksumEvery: DEFAULT_CHECKSUM_EVERY,
    bucketElems: DEFAULT_BUCKET_ELEMS,
    chunkElems: DEFAULT_CHUNK_ELEMS,
    allreduce: "auto",
    gradDtype: "fp32",
    streams: null,
    ringTimeoutMs: DEFAULT_RING_TIMEOUT_MS,
    evalEvery: 1,
    logEvery: 50,
    checkpointEvery: 0,
    keepCheckpoints: DEFAULT_KEEP_CHECKPOINTS,
    ...given,
  };
}

/**
 * One job's coordinator.
 *
 * @example Two ranks join; the job ends when both are done
 * ```ts
 * import { Coordinator } from "./coordinator.ts";
 * import { defaultTrainConfig } from "../../core/train/config.ts";
 * const job = new Coordinator({ world: 2, config: defaultTrainConfig, out: "runs/x" });
 * const offer = (host: string) => ({ host, ringUrl: `http://${host}:1`, adapter: "cpu" });
 * const [a, b] = await Promise.all([job.join(offer("10.0.0.1")), job.join(offer("10.0.0.2"))]);
 * job.done({ rank: a.rank });
 * job.done({ rank: b.rank });
 * await job.settled; // null: success
 * ```
 */
export class Coordinator {
  /** Number of ranks. */
  readonly world: number;
  /** Name of the run. */
  readonly runId: string;
  /** What every rank receives in its join reply. */
  readonly settings: JobSettings;
  /** Resolves when the job ends: null when every rank is done, else why it failed. */
  readonly settled: Promise<GradmeshError | null>;

  readonly #options: CoordinatorOptions;
  readonly #log: (line: string) => void;
  readonly #members: Member[] = [];
  #phase: JobPhase = "rendezvous";
  #byRank: Member[] = [];
  readonly #epochs: EpochSummary[] = [];
  #final: RunningMetrics | null = null;
  #error: GradmeshError | null = null;
  #settle: (error: GradmeshError | null) => void = () => {};
  #rendezvousTimer: ReturnType<typeof setTimeout> | undefined;
  #monitor: ReturnType<typeof setInterval> | undefined;
  #round = 0;
  #stoppedAt: number | null = null;
  readonly #restarts: RestartRecord[] = [];

  constructor(options: CoordinatorOptions) {
    if (!Number.isSafeInteger(options.world) || options.world < 1) {
      throw new RangeError(`world must be an integer >= 1, got ${options.world}`);
    }
    this.world = options.world;
    this.runId = options.runId ?? newRunId();
    this.settings = jobSettings(options.settings);
    this.#options = options;
    this.#log = options.log ?? (() => {});
    this.settled = new Promise((resolve) => this.#settle = resolve);
    this.#openRendezvous();
  }

  /** Where the job is. */
  get phase(): JobPhase {
    return this.#phase;
  }

  /** The current round: 0, then one more after every restart. */
  get round(): number {
    return this.#round;
  }

  /**
   * Adds a worker to the rendezvous; resolves with its place in the world once the world
   * is complete. A worker that asks for the rank of one still training, while restarts
   * are left, replaces it: the round ends and the newcomer joins the next. Rejects with a
   * {@link JobStateError} when the rank asked for is taken or the rendezvous is over, with
   * the job's error when it fails first.
   */
  async join(request: JoinRequest): Promise<JoinReply> {
    this.#replaced(request);
    if (this.#phase !== "rendezvous") {
      const why = this.#error ? `: ${this.#error.message}` : "";
      throw new JobStateError(`the rendezvous is over: the job is ${this.#phase}${why}`);
    }
    const wanted = request.rank;
    if (wanted !== undefined && wanted >= this.world) {
      throw new WireFormatError("rank", `expected a rank below ${this.world}, got ${wanted}`);
    }
    // A worker whose long poll broke joins again: its new request takes the old one's place.
    const again = this.#members.findIndex((m) => m.ringUrl === request.ringUrl);
    if (again >= 0) {
      const [stale] = this.#members.splice(again, 1);
      stale.reject(new JobStateError(`superseded by a new join from ${request.ringUrl}`));
    }
    if (this.#members.length >= this.world) {
      throw new JobStateError(`the world of ${this.world} ranks is complete`);
    }
    const holder = this.#members.find((m) => m.requested === wanted && wanted !== undefined);
    if (holder) {
      throw new JobStateError(
        `rank ${wanted} requested by host ${request.host} is already taken by host ${holder.host}`,
      );
    }
    const reply = new Promise<JoinReply>((resolve, reject) => {
      this.#members.push({
        host: request.host,
        ringUrl: request.ringUrl,
        adapter: request.adapter,
        requested: wanted,
        rank: -1,
        step: 0,
        lastHeartbeat: 0,
        stepMs: null,
        allReduceMs: null,
        done: false,
        resolve,
        reject,
      });
    });
    if (this.#members.length === this.world) void this.#start();
    return await reply;
  }

  /**
   * Records a rank's progress; the reply tells it to stop once the job has failed, or
   * to join again when it belongs to a round that a restart ended.
   */
  heartbeat(request: HeartbeatRequest): HeartbeatReply {
    if (this.#stale(request.round)) {
      const last = this.#restarts[this.#restarts.length - 1];
      return { abort: `the job restarts after rank ${last.rank} failed`, restart: true };
    }
    const member = this.#member(request.rank);
    member.step = Math.max(member.step, request.step);
    member.lastHeartbeat = performance.now();
    member.stepMs = request.stepMs ?? member.stepMs;
    member.allReduceMs = request.allReduceMs ?? member.allReduceMs;
    return { abort: this.#error?.message ?? null };
  }

  /** Passes rank 0's metrics records on to `onRecords`. */
  recordRecords(report: RecordsReport): void {
    this.#member(report.rank);
    this.#options.onRecords?.(report.records);
  }

  /** Keeps rank 0's epoch summary for the status page. */
  recordMetrics(report: MetricsReport): void {
    this.#member(report.rank);
    this.#epochs.push(report.epoch);
    this.#options.onEpoch?.(report.epoch);
  }

  /**
   * A rank gave up: the job restarts or fails with its message (after `reportGraceMs`),
   * unless it already ended or the report is from a round that ended.
   */
  fail(report: FailReport): void {
    if (this.#stale(report.round)) return;
    const member = this.#member(report.rank);
    if (report.step !== undefined) member.step = Math.max(member.step, report.step);
    const error = new MeshError(report.rank, member.host, member.step, report.message);
    const round = this.#round;
    const act = () => round === this.#round && this.#failed(error);
    const grace = this.#options.reportGraceMs ?? 0;
    if (grace > 0) setTimeout(act, grace);
    else act();
  }

  /**
   * A launcher saw the process of a rank of `round` die: the job restarts or fails with
   * `error`, unless that round is over.
   */
  lost(error: MeshError, round: number): void {
    if (round === this.#round) this.#failed(error);
  }

  /** A rank finished; the job is done when every rank is. */
  done(report: DoneReport): void {
    if (this.#stale(report.round)) return;
    const member = this.#member(report.rank);
    member.done = true;
    if (report.step !== undefined) member.step = Math.max(member.step, report.step);
    if (report.final) this.#final = report.final;
    if (report.stoppedAt !== undefined) this.#stoppedAt = report.stoppedAt;
    if (this.#byRank.every((m) => m.done)) this.#end(null);
  }

  /** Where the job is, rank by rank. */
  status(): JobStatus {
    const now = performance.now();
    const training = this.#byRank.length > 0;
    const listed = training ? this.#byRank : this.#members;
    const ranks = training ? listed.map((m) => m.rank) : this.#provisionalRanks();
    return {
      runId: this.runId,
      phase: this.#phase,
      world: this.world,
      joined: this.#members.length,
      members: listed.map((m, i) => ({
        rank: ranks[i],
        host: m.host,
        adapter: m.adapter,
        step: m.step,
        heartbeatAgeS: training ? (now - m.lastHeartbeat) / 1000 : null,
        done: m.done,
        stepMs: m.stepMs,
        allReduceMs: m.allReduceMs,
      })),
      epochs: [...this.#epochs],
      final: this.#final,
      error: this.#error?.message ?? null,
      round: this.#round,
      restarts: [...this.#restarts],
      stoppedAt: this.#stoppedAt,
    };
  }

  /** Stops the timers; a job that has not ended fails. */
  close(): void {
    this.#end(new JobStateError(`the coordinator of run ${this.runId} shut down`));
  }

  #member(rank: number): Member {
    if (rank >= this.world) {
      throw new WireFormatError("rank", `expected a rank below ${this.world}, got ${rank}`);
    }
    const member = this.#byRank[rank];
    if (!member) throw new JobStateError(`rank ${rank} has not joined: the rendezvous is open`);
    return member;
  }

  // Requested ranks are kept; the others fill the free ranks in join order.
  #provisionalRanks(): number[] {
    const taken = new Set(this.#members.map((m) => m.requested).filter((r) => r !== undefined));
    const free = Array.from({ length: this.world }, (_, r) => r).filter((r) => !taken.has(r));
    return this.#members.map((m) => m.requested ?? free.shift()!);
  }

  // A worker asking for the rank of one that is training was restarted (a pod or task
  // restart): the old process is gone, which fails the round, and the newcomer joins the
  // next one, when restarts are left.
  #replaced(request: JoinRequest): void {
    const holder = request.rank === undefined ? undefined : this.#byRank[request.rank];
    const left = this.#restarts.length < (this.#options.maxRestarts ?? 0);
    if (this.#phase !== "training" || !holder || holder.done || !left) return;
    this.#failed(
      new MeshError(
        holder.rank,
        holder.host,
        holder.step,
        `replaced: a new worker process for rank ${holder.rank} joined from ${request.host}`,
      ),
    );
  }

  // Whether a report comes from a round that a restart ended; no round is the current one.
  #stale(round: number | undefined): boolean {
    if (round !== undefined && round > this.#round) {
      throw new WireFormatError("round", `expected a round up to ${this.#round}, got ${round}`);
    }
    return round !== undefined && round < this.#round;
  }

  #openRendezvous(): void {
    const timeoutMs = this.#options.rendezvousTimeoutMs ?? DEFAULT_RENDEZVOUS_TIMEOUT_MS;
    this.#rendezvousTimer = setTimeout(() => this.#rendezvousTimedOut(timeoutMs), timeoutMs);
  }

  // A failure restarts the job while restarts are left, and ends it otherwise.
  #failed(error: MeshError): void {
    if (this.#phase === "done" || this.#phase === "failed") return;
    const max = this.#options.maxRestarts ?? 0;
    const detail = error.message.slice(
      `rank ${error.rank} (${error.host}), step ${error.step}: `.length,
    );
    if (this.#restarts.length >= max) {
      const after = max > 0 ? ` (after ${max} restart${max > 1 ? "s" : ""})` : "";
      this.#end(
        max > 0 ? new MeshError(error.rank, error.host, error.step, detail + after) : error,
      );
      return;
    }
    clearInterval(this.#monitor);
    clearTimeout(this.#rendezvousTimer);
    const pending = new JobStateError(
      `the rendezvous of round ${this.#round} was abandoned: restart`,
    );
    for (const m of this.#members) if (m.rank < 0) m.reject(pending);
    this.#members.length = 0;
    this.#byRank = [];
    this.#phase = "rendezvous";
    this.#round++;
    this.#restarts.push({
      rank: error.rank,
      host: error.host,
      step: error.step,
      cause: detail,
      resumedFrom: null,
    });
    this.#log(
      `restart ${this.#restarts.length}/${max}: rank ${error.rank} (${error.host}) failed ` +
        `at step ${error.step}: ${detail}`,
    );
    this.#openRendezvous();
    this.#options.onRestart?.(this.#round, error);
  }

  // After a restart, the newest checkpoint in the output directory; else the run's own
  // (its step unknown here: null).
  async #resumePoint(): Promise<{ path: string | null; step: number | null }> {
    const initial = { path: this.#options.resume ?? null, step: this.#options.resume ? null : 0 };
    if (this.#round === 0) return initial;
    const newest = await newestCheckpoint(this.#options.out).catch((error) => {
      this.#log(`round ${this.#round}: ${error.message}; resuming from the run's start instead`);
      return null;
    });
    return newest ?? initial;
  }

  async #start(): Promise<void> {
    clearTimeout(this.#rendezvousTimer);
    const round = this.#round;
    const resume = await this.#resumePoint();
    // A failure while the checkpoint was looked up started another round.
    if (round !== this.#round || this.#phase !== "rendezvous") return;
    const ranks = this.#provisionalRanks();
    const mixed = mixedLinks(this.#members.map((m, i) => ({ ...m, rank: ranks[i] })));
    if (mixed) return this.#end(mixed);
    const now = performance.now();
    this.#members.forEach((m, i) => {
      m.rank = ranks[i];
      m.lastHeartbeat = now;
    });
    this.#byRank = [...this.#members].sort((a, b) => a.rank - b.rank);
    this.#phase = "training";
    const members = this.#byRank.map(({ rank, host, adapter }) => ({ rank, host, adapter }));
    for (const m of members) this.#log(`rank ${m.rank} joined from ${m.host} (${m.adapter})`);
    this.#log(`all ${this.world} ranks joined; training run ${this.runId}`);
    if (round > 0) {
      const restart = this.#restarts[round - 1];
      this.#restarts[round - 1] = { ...restart, resumedFrom: resume.step };
      const to = resume.path === null
        ? "to step 0 (no checkpoint yet: from the start)"
        : resume.step === null
        ? `to ${resume.path}`
        : `to step ${resume.step} (${resume.path})`;
      this.#log(`round ${round}: rolled back ${to}`);
    }
    const { heartbeatTimeoutMs } = this.settings;
    const every = Math.max(20, Math.min(1000, heartbeatTimeoutMs / 4));
    this.#monitor = setInterval(() => this.#checkHeartbeats(), every);
    for (const m of this.#byRank) {
      m.resolve({
        rank: m.rank,
        world: this.world,
        peers: this.#byRank.map((p) => p.ringUrl),
        members,
        config: this.#options.config,
        out: this.#options.out,
        resume: resume.path,
        runId: this.runId,
        settings: this.settings,
        round,
      });
    }
  }

  #checkHeartbeats(): void {
    const now = performance.now();
    const timeout = this.settings.heartbeatTimeoutMs;
    const silent = this.#byRank.find((m) => !m.done && now - m.lastHeartbeat > timeout);
    if (!silent) return;
    const seconds = ((now - silent.lastHeartbeat) / 1000).toFixed(1);
    this.#failed(
      new MeshError(
        silent.rank,
        silent.host,
        silent.step,
        `stopped responding: no heartbeat for ${seconds} s`,
      ),
    );
  }

  #rendezvousTimedOut(timeoutMs: number): void {
    const ranks = this.#provisionalRanks();
    const joined = this.#members.map((m, i) => ({ rank: ranks[i], host: m.host }))
      .sort((a, b) => a.rank - b.rank);
    const present = new Set(ranks);
    const missing = Array.from({ length: this.world }, (_, r) => r).filter((r) => !present.has(r));
    this.#end(new RendezvousError(missing, joined, timeoutMs));
  }

  #end(error: GradmeshError | null): void {
    if (this.#phase === "done" || this.#phase === "failed") return;
    clearTimeout(this.#rendezvousTimer);
    clearInterval(this.#monitor);
    this.#phase = error ? "failed" : "done";
    this.#error = error;
    if (error) {
      for (const m of this.#members) if (m.rank < 0) m.reject(error);
    }
    this.#settle(error);
  }
}
