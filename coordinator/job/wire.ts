/**
 * The JSON messages between workers and their coordinator, and the checks that turn an
 * untrusted request body into one of them. A check that fails throws a
 * {@link WireFormatError} naming the field, which the coordinator answers with 400.
 *
 * @module
 */

import { type MetricsRecord, REGRESSION_KEYS } from "../../core/metrics/jsonl.ts";
import type { RunningMetrics } from "../../core/train/device_metrics.ts";
import type { TrainConfig } from "../../core/train/config.ts";
import type { EpochSummary } from "../../core/train/fit.ts";
import { WireFormatError } from "./job_errors.ts";
import type { AllReduceAlgorithm } from "../transport/algorithm_choice.ts";
import type { WireDtype } from "../transport/wire_dtype.ts";

/** `POST /v1/join`: a worker offers itself; `rank` asks for a particular one (torchrun's RANK). */
export interface JoinRequest {
  /** Address peers reach the worker at; names it in errors and groups ranks by machine. */
  readonly host: string;
  /** Base URL of the worker's ring endpoint. */
  readonly ringUrl: string;
  readonly rank?: number;
  /** The compute device the worker got (the backend's description). */
  readonly adapter: string;
}

/** One rank of a complete world, as every worker learns it. */
export interface MemberInfo {
  readonly rank: number;
  readonly host: string;
  readonly adapter: string;
}

/** How every rank of a job runs; chosen by the coordinator so that all ranks agree. */
export interface JobSettings {
  /** How often a worker reports its step. */
  readonly heartbeatIntervalMs: number;
  /** Silence after which a rank counts as dead (and a worker gives up on its coordinator). */
  readonly heartbeatTimeoutMs: number;
  /** Compare parameter checksums across ranks every this many steps; 0 never. */
  readonly checksumEvery: number;
  /** Floats per gradient bucket. */
  readonly bucketElems: number;
  /** Floats per ring chunk on the wire. */
  readonly chunkElems: number;
  /** `--allreduce`: the all-reduce algorithm, or `auto` to choose per bucket. */
  readonly allreduce: AllReduceAlgorithm;
  /** `--grad-dtype`: the number format gradient buckets travel in. */
  readonly gradDtype: WireDtype;
  /**
   * `--streams`: HTTP connections (requests in flight) to each peer, with every transfer's
   * chunks spread over them; null: `HttpLink`'s default connections and whole 2 MiB chunks.
   */
  readonly streams: number | null;
  /**
   * `--powersgd` and `--powersgd-start`: gradients compressed to rank-`rank` factors after
   * `start` plain steps; absent: sent whole.
   */
  readonly powerSgd?: { readonly rank: number; readonly start: number };
  /** How long one ring all-reduce waits for a peer; must exceed rank 0's evaluation time. */
  readonly ringTimeoutMs: number;
  /** `fit`'s `evalEvery`. */
  readonly evalEvery: number;
  /** `fit`'s `logEvery`: metric read-backs are collective, so every rank needs the same. */
  readonly logEvery: number;
  /** `fit`'s `checkpointEvery` (`--checkpoint-every`): 0 checkpoints at epoch ends only. */
  readonly checkpointEvery: number;
  /** `fit`'s `keepCheckpoints` (`--keep-checkpoints`). */
  readonly keepCheckpoints: number;
  /** Rank 0 also writes TensorBoard event files into OUT/tensorboard/ (`--tensorboard`). */
  readonly tensorboard?: boolean;
}

/** Answer to a join once the world is complete. */
export interface JoinReply {
  readonly rank: number;
  readonly world: number;
  /** Ring endpoint base URL of every rank, by rank. */
  readonly peers: readonly string[];
  readonly members: readonly MemberInfo[];
  readonly config: TrainConfig;
  /** Output directory, written by rank 0. */
  readonly out: string;
  /** Checkpoint that every rank restores before training (a path each can read), or null. */
  readonly resume: string | null;
  readonly runId: string;
  readonly settings: JobSettings;
  /** Which rendezvous this is: 0, then one more after every restart. */
  readonly round: number;
}

/** `POST /v1/heartbeat`. */
export interface HeartbeatRequest {
  readonly rank: number;
  /** Last step the rank finished. */
  readonly step: number;
  /** The round the rank joined ({@link JoinReply.round}); absent: the current one. */
  readonly round?: number;
  /** Wall time of the rank's last training step, in milliseconds. */
  readonly stepMs?: number;
  /** Wall time of its last gradient all-reduce (first bucket sent to last summed), ms. */
  readonly allReduceMs?: number;
}

/**
 * Answer to a heartbeat: why to stop, or null to carry on; `restart` when the job goes on
 * in a new round that the worker should join again.
 */
export interface HeartbeatReply {
  readonly abort: string | null;
  readonly restart?: boolean;
}

/** `POST /v1/metrics`: rank 0's summary of an epoch. */
export interface MetricsReport {
  readonly rank: number;
  readonly epoch: EpochSummary;
}

/**
 * Most records in one {@link RecordsReport}: a few hundred bytes each, so a report stays
 * well inside the coordinator's body limit.
 */
export const MAX_RECORDS_PER_REPORT = 40;

/** `POST /v1/records`: metrics records rank 0 wrote since its last report (the dashboard's). */
export interface RecordsReport {
  readonly rank: number;
  readonly records: readonly MetricsRecord[];
}

/** `POST /v1/fail`: a rank gives up. */
export interface FailReport {
  readonly rank: number;
  readonly message: string;
  readonly step?: number;
  /** The round the rank joined; absent: the current one. */
  readonly round?: number;
}

/** `POST /v1/done`: a rank finished, at `step`; rank 0 adds the final test metrics. */
export interface DoneReport {
  readonly rank: number;
  readonly step?: number;
  readonly final?: RunningMetrics | null;
  /** The round the rank joined; absent: the current one. */
  readonly round?: number;
  /** The step after which the rank stopped early when asked to (preemption). */
  readonly stoppedAt?: number;
}

/** Where a job is. */
export type JobPhase = "rendezvous" | "training" | "done" | "failed";

/** A restart: the failure that caused it and the checkpoint the new round resumed from. */
export interface RestartRecord {
  readonly rank: number;
  readonly host: string;
  /** The last step the failed rank reported. */
  readonly step: number;
  readonly cause: string;
  /**
   * Global step of the checkpoint the new round restored (0: none, from the start); null
   * until the round starts, or when the checkpoint's step is not in its name.
   */
  readonly resumedFrom: number | null;
}

/** One rank in `GET /v1/status`. */
export interface MemberStatus extends MemberInfo {
  readonly step: number;
  /** Seconds since the last heartbeat (null during the rendezvous). */
  readonly heartbeatAgeS: number | null;
  readonly done: boolean;
  /** From the rank's last heartbeat (null before one carried it). */
  readonly stepMs: number | null;
  /** From the rank's last heartbeat (null before one carried it). */
  readonly allReduceMs: number | null;
}

/** `GET /v1/status`. */
export interface JobStatus {
  readonly runId: string;
  readonly phase: JobPhase;
  readonly world: number;
  readonly joined: number;
  readonly members: readonly MemberStatus[];
  readonly epochs: readonly EpochSummary[];
  readonly final: RunningMetrics | null;
  readonly error: string | null;
  /** The current round (see {@link JoinReply.round}). */
  readonly round: number;
  readonly restarts: readonly RestartRecord[];
  /** The step after which the ranks stopped early when asked to (preemption), or null. */
  readonly stoppedAt: number | null;
}

type Fields = Record<string, unknown>;

const MAX_TEXT = 4096;

function fieldsOf(value: unknown, field: string): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WireFormatError(field, `expected a JSON object, got ${describe(value)}`);
  }
  return value as Fields;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  return JSON.stringify(value)?.slice(0, 40) ?? typeof value;
}

function count(body: Fields, field: string): number {
  const value = body[field];
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new WireFormatError(field, `expected a non-negative integer, got ${describe(value)}`);
  }
  return value as number;
}

// An optional count: absent or null is undefined.
function optionalCount(body: Fields, field: string): { [key: string]: number } {
  return body[field] === undefined || body[field] === null ? {} : { [field]: count(body, field) };
}

function text(body: Fields, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_TEXT) {
    throw new WireFormatError(
      field,
      `expected a string of 1 to ${MAX_TEXT} characters, got ${describe(value)}`,
    );
  }
  return value;
}

// JSON has no NaN: a diverged loss arrives as null.
function metric(body: Fields, field: string): number {
  const value = body[field];
  if (value === null) return NaN;
  if (typeof value !== "number") {
    throw new WireFormatError(field, `expected a number, got ${describe(value)}`);
  }
  return value;
}

function runningMetrics(value: unknown, field: string): RunningMetrics {
  const body = fieldsOf(value, field);
  return {
    loss: metric(body, "loss"),
    accuracy: metric(body, "accuracy"),
    entropy: metric(body, "entropy"),
    count: count(body, "count"),
  };
}

/** Checks a join request. */
export function parseJoinRequest(value: unknown): JoinRequest {
  const body = fieldsOf(value, "body");
  const ringUrl = text(body, "ringUrl");
  if (!URL.canParse(ringUrl) || !["http:", "tcp:"].includes(new URL(ringUrl).protocol)) {
    throw new WireFormatError(
      "ringUrl",
      `expected an http:// or tcp:// URL, got ${describe(ringUrl)}`,
    );
  }
  return {
    host: text(body, "host"),
    ringUrl,
    adapter: text(body, "adapter"),
    ...(body.rank === undefined || body.rank === null ? {} : { rank: count(body, "rank") }),
  };
}

// An optional duration: absent or null is undefined, else a finite number >= 0.
function optionalMs(body: Fields, field: string): { [key: string]: number } {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new WireFormatError(
      field,
      `expected milliseconds (a number >= 0), got ${describe(value)}`,
    );
  }
  return { [field]: value };
}

/** Checks a heartbeat. */
export function parseHeartbeat(value: unknown): HeartbeatRequest {
  const body = fieldsOf(value, "body");
  return {
    rank: count(body, "rank"),
    step: count(body, "step"),
    ...optionalCount(body, "round"),
    ...optionalMs(body, "stepMs"),
    ...optionalMs(body, "allReduceMs"),
  };
}

// One metrics record: a step or an epoch record, numbers where the metrics file has them.
function metricsRecord(value: unknown, field: string): MetricsRecord {
  const body = fieldsOf(value, field);
  // Absent fields stay absent (a regression run has no accuracy: NaN, as files read back).
  const optional = (key: string) => body[key] === undefined ? {} : { [key]: metric(body, key) };
  const fields = {
    epoch: count(body, "epoch"),
    step: count(body, "step"),
    train_loss: metric(body, "train_loss"),
    train_acc: body.train_acc === undefined ? NaN : metric(body, "train_acc"),
    lr: metric(body, "lr"),
    samples_per_s: metric(body, "samples_per_s"),
    wall_s: metric(body, "wall_s"),
    ...(body.skipped_steps !== undefined && { skipped_steps: count(body, "skipped_steps") }),
    ...optional("train_entropy"),
  };
  if (body.kind === "step") return { kind: "step", ...fields };
  if (body.kind !== "epoch") {
    throw new WireFormatError("kind", `expected "step" or "epoch", got ${describe(body.kind)}`);
  }
  const nullable = (key: string) =>
    body[key] === null || body[key] === undefined ? null : metric(body, key);
  return {
    kind: "epoch",
    ...fields,
    test_loss: nullable("test_loss"),
    test_acc: nullable("test_acc"),
    ...(body.test_entropy !== undefined && { test_entropy: nullable("test_entropy") }),
    ...Object.assign({}, ...REGRESSION_KEYS.map(optional)),
  };
}

/** Checks a records report. */
export function parseRecordsReport(value: unknown): RecordsReport {
  const body = fieldsOf(value, "body");
  const records = body.records;
  if (!Array.isArray(records) || records.length > MAX_RECORDS_PER_REPORT) {
    throw new WireFormatError(
      "records",
      `expected an array of at most ${MAX_RECORDS_PER_REPORT} records, got ${describe(records)}`,
    );
  }
  return { rank: count(body, "rank"), records: records.map((r) => metricsRecord(r, "records")) };
}

/** Checks a metrics report. */
export function parseMetricsReport(value: unknown): MetricsReport {
  const body = fieldsOf(value, "body");
  const epoch = fieldsOf(body.epoch, "epoch");
  return {
    rank: count(body, "rank"),
    epoch: {
      epoch: count(epoch, "epoch"),
      train: runningMetrics(epoch.train, "train"),
      test: epoch.test === null ? null : runningMetrics(epoch.test, "test"),
      seconds: metric(epoch, "seconds"),
      ...(epoch.skippedSteps !== undefined && { skippedSteps: count(epoch, "skippedSteps") }),
    },
  };
}

/** Checks a failure report. */
export function parseFailReport(value: unknown): FailReport {
  const body = fieldsOf(value, "body");
  return {
    rank: count(body, "rank"),
    message: text(body, "message"),
    ...(body.step === undefined ? {} : { step: count(body, "step") }),
    ...optionalCount(body, "round"),
  };
}

/** Checks a done report. */
export function parseDoneReport(value: unknown): DoneReport {
  const body = fieldsOf(value, "body");
  const final = body.final === undefined || body.final === null
    ? null
    : runningMetrics(body.final, "final");
  return {
    rank: count(body, "rank"),
    final,
    ...(body.step === undefined ? {} : { step: count(body, "step") }),
    ...optionalCount(body, "round"),
    ...optionalCount(body, "stoppedAt"),
  };
}
