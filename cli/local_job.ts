/**
 * `train --workers N`: a data-parallel job on this machine. The coordinator runs in this
 * process on 127.0.0.1 with a fresh job token (or `GRADMESH_TOKEN`); N `gradmesh worker`
 * processes get their rank, the coordinator's address and the token through the
 * environment, never the command line. Rank 0's output is the run's output. When any
 * rank fails — a process exits non-zero or is killed, or the coordinator fails the job —
 * every remaining process is killed and the run ends with one error naming the rank, host
 * and step; or, while `--max-restarts` allows, a new set of workers resumes from the
 * newest checkpoint. A stop signal to this process reaches every worker (they run in
 * their own process group), and the workers exit when this process is gone (their stdin).
 *
 * @module
 */

import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { defaultThreads } from "../cpu/backend.ts";
import type { BackendKind } from "../backends/backend_choice.ts";
import { buildTrainer, type TrainConfig } from "../core/train/config.ts";
import { DEFAULT_BUCKET_ELEMS } from "../coordinator/job/bucket_plan.ts";
import {
  Coordinator,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_RENDEZVOUS_TIMEOUT_MS,
  newRunId,
} from "../coordinator/job/coordinator.ts";
import { serveCoordinator } from "../coordinator/job/coordinator_server.ts";
import { requireToken } from "../coordinator/job/env.ts";
import { DEFAULT_CHECKSUM_EVERY } from "../coordinator/job/fit_mesh.ts";
import { TRAIN_PERMISSIONS } from "../coordinator/job/deno_permissions.ts";
import { sleep } from "../coordinator/transport/sleep.ts";
import { newJobToken } from "../coordinator/transport/token.ts";
import { requireOneProcessFor } from "../core/train/fit.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import type { JobSettings, JobStatus } from "../coordinator/job/wire.ts";
import type { MetricsRecord } from "../core/metrics/jsonl.ts";
import { startRunDashboard, watchedJob } from "./dashboard.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { collectiveFlags, collectiveSettings } from "./collective_flags.ts";
import type { LinkChoice } from "../coordinator/transport/link_choice.ts";
import { onStopSignals, onTaskParentGone, type StopCause } from "./stop_signals.ts";
import { REPORT_GRACE_MS, WorkerRounds } from "./worker_rounds.ts";

/** Flags that tune the mesh: `coordinator`'s, and `train`'s for `--workers N`. */
export const meshFlags: FlagTable = {
  "rendezvous-timeout": {
    type: "number",
    group: "parallel",
    default: DEFAULT_RENDEZVOUS_TIMEOUT_MS / 1000,
    min: 0,
    exclusiveMin: true,
    help: "seconds for all workers to join",
  },
  "heartbeat-timeout": {
    type: "number",
    group: "parallel",
    default: DEFAULT_HEARTBEAT_TIMEOUT_MS / 1000,
    min: 0,
    exclusiveMin: true,
    help: "seconds of silence after which a worker counts as dead",
  },
  "checksum-every": {
    type: "integer",
    group: "parallel",
    default: DEFAULT_CHECKSUM_EVERY,
    min: 0,
    help: "compare parameter checksums across ranks every N steps (0: never)",
  },
  "max-restarts": {
    type: "integer",
    group: "parallel",
    default: 0,
    min: 0,
    help: "failed workers survived: all restart from the newest checkpoint (torchrun's)",
  },
  "bucket-cap-mb": {
    type: "number",
    group: "parallel",
    default: (DEFAULT_BUCKET_ELEMS * Float32Array.BYTES_PER_ELEMENT) / 2 ** 20,
    min: 0,
    exclusiveMin: true,
    help: "gradient bucket size in MiB (PyTorch DDP's bucket_cap_mb)",
  },
  ...collectiveFlags,
};

/** What a coordinator takes from flags. */
export interface MeshOptions {
  rendezvousTimeoutMs?: number;
  maxRestarts?: number;
  settings: Partial<JobSettings>;
}

/**
 * The coordinator options that {@link meshFlags} and `--eval-every`/`--log-every` give;
 * flags absent from `v` stay undefined, which keeps the defaults.
 */
export function meshOptionsFromFlags(v: FlagValues): MeshOptions {
  const number = (name: string) => v[name] as number | undefined;
  const seconds = (name: string) => number(name) === undefined ? undefined : number(name)! * 1000;
  const bucketMiB = number("bucket-cap-mb");
  const settings = {
    heartbeatTimeoutMs: seconds("heartbeat-timeout"),
    checksumEvery: number("checksum-every"),
    bucketElems: bucketMiB === undefined
      ? undefined
      : Math.max(1, Math.round((bucketMiB * 2 ** 20) / Float32Array.BYTES_PER_ELEMENT)),
    evalEvery: number("eval-every"),
    logEvery: number("log-every"),
    checkpointEvery: number("checkpoint-every"),
    keepCheckpoints: number("keep-checkpoints"),
    tensorboard: v.tensorboard as boolean | undefined,
    ...collectiveSettings(v),
  };
  return {
    rendezvousTimeoutMs: seconds("rendezvous-timeout"),
    maxRestarts: number("max-restarts"),
    settings,
  };
}

/** Options of {@link startLocalJob}. */
export interface LocalJobOptions {
  /** Number of worker processes. */
  readonly workers: number;
  /** Every worker's `--backend`. */
  readonly backend: BackendKind;
  /** Every worker's `--link`. Default `auto`. */
  readonly link?: LinkChoice;
  /** Every worker's `--threads` and `--sgemm` (default, or threads 0: cores ÷ workers; auto). */
  readonly cpu?: { threads: number; sgemm: string };
  /** Output directory, written by rank 0. */
  readonly out: string;
  /** Checkpoint every rank restores first (`config` must be the one saved in it). */
  readonly resume?: string;
  /** Rank 0 prints only the final summary. */
  readonly quiet?: boolean;
  /** Job token. Default: `GRADMESH_TOKEN`, else a fresh one. */
  readonly token?: string;
  /** Default: the coordinator's. */
  readonly rendezvousTimeoutMs?: number;
  /** Overrides of the job settings. */
  readonly settings?: Partial<JobSettings>;
  /** Failures survived by restarting every worker from the newest checkpoint. Default 0. */
  readonly maxRestarts?: number;
  /** Where the coordinator's lines about restarts go. Default: stderr. */
  readonly log?: (line: string) => void;
  /** Receives rank 0's output line by line; by default rank 0 writes to this process's stdout. */
  readonly rank0Output?: (line: string) => void;
  /** Receives the metrics records rank 0 reports (a dashboard's). */
  readonly onRecords?: (records: readonly MetricsRecord[]) => void;
}

/** A running local job. */
export interface LocalJob {
  /** Where the coordinator listens. */
  readonly coordinatorUrl: string;
  /** Process id of every worker of the current round, by rank. */
  readonly pids: readonly number[];
  /** The coordinator's view of the job. */
  status(): JobStatus;
  /**
   * Asks every worker to checkpoint at its next read-back and end (preemption): the job
   * then finishes with `status().stoppedAt` set, and no restart follows. Between the
   * rounds of a restart, when no worker trains, it is {@link LocalJob.kill}.
   */
  stop(): void;
  /** Kills every worker at once (SIGKILL) and fails the job. */
  kill(): void;
  /**
   * Resolves when every rank finished and every worker exited; rejects with the failure
   * that ended the job once every worker is gone.
   */
  readonly finished: Promise<void>;
}

const HOST = "127.0.0.1";

/** The token of a job started here: `GRADMESH_TOKEN` when set, else a fresh one. */
export function localJobToken(): string {
  const given = Deno.env.get("GRADMESH_TOKEN");
  return given === undefined ? newJobToken() : requireToken(given);
}

/**
 * Starts the coordinator and `options.workers` worker processes training `config`. When
 * a worker fails and `maxRestarts` allows, every worker is killed and a new set started,
 * which resumes from the newest checkpoint (torchrun's restart of the whole group).
 *
 * @example
 * ```ts ignore
 * import { startLocalJob } from "./local_job.ts";
 * import { defaultTrainConfig } from "../core/train/config.ts";
 * const job = startLocalJob(defaultTrainConfig, { workers: 2, backend: "cpu", out: "runs/a" });
 * console.log(job.pids);
 * await job.finished;
 * ```
 */
export function startLocalJob(config: TrainConfig, options: LocalJobOptions): LocalJob {
  const token = options.token ?? localJobToken();
  const coordinator = new Coordinator({
    world: options.workers,
    config,
    out: options.out,
    resume: options.resume,
    rendezvousTimeoutMs: options.rendezvousTimeoutMs,
    settings: options.settings,
    maxRestarts: options.maxRestarts,
    reportGraceMs: REPORT_GRACE_MS,
    // Rank 0 speaks for the job; of the coordinator's lines only the restarts are news.
    log: (line) => /^(restart|round) \d/.test(line) && (options.log ?? console.error)(line),
    onRestart: (round) => rounds.restart(round),
    onRecords: options.onRecords,
  });
  const server = serveCoordinator(coordinator, { token, hostname: HOST });
  const rounds = new WorkerRounds(coordinator, {
    count: options.workers,
    args: workerArgs(options),
    env: {
      WORLD_SIZE: String(options.workers),
      MASTER_ADDR: HOST,
      MASTER_PORT: String(server.port),
      GRADMESH_TOKEN: token,
    },
    host: HOST,
    rank0Output: options.rank0Output,
  });
  const finished = jobEnd(coordinator, rounds).finally(() => server.shutdown());
  return jobHandle(coordinator, server.url, rounds, finished);
}

/** The {@link LocalJob} that watches and steers `coordinator`'s job and its `rounds`. */
function jobHandle(
  coordinator: Coordinator,
  coordinatorUrl: string,
  rounds: WorkerRounds,
  finished: Promise<void>,
): LocalJob {
  return {
    coordinatorUrl,
    get pids() {
      return rounds.pids;
    },
    status: () => coordinator.status(),
    stop() {
      // Between rounds nothing trains that could stop at a step: the newest checkpoint is
      // what a later run resumes from.
      if (coordinator.phase !== "training") return this.kill();
      rounds.signal("SIGTERM");
    },
    kill() {
      rounds.signal("SIGKILL");
      coordinator.close();
    },
    finished,
  };
}

/** The `deno` command line of every worker of a local job (rank and token go by environment). */
function workerArgs(options: LocalJobOptions): string[] {
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  const denoConfig = fileURLToPath(new URL("../deno.json", import.meta.url));
  return [
    "run",
    "--config",
    denoConfig,
    ...TRAIN_PERMISSIONS,
    main,
    "worker",
    "--backend",
    options.backend,
    "--link",
    options.link ?? "auto",
    "--exit-with-stdin",
    // This launcher starts the next round's workers itself.
    "--once",
    "--threads",
    `${options.cpu?.threads || defaultThreads(options.workers)}`,
    "--sgemm",
    options.cpu?.sgemm ?? "auto",
    ...(options.quiet ? ["--quiet"] : []),
  ];
}

/**
 * Resolves when the coordinator settled and the last round's workers exited (a straggler
 * is killed after a heartbeat timeout); rejects with the job's failure. Either way every
 * worker is gone and the coordinator closed by then.
 */
async function jobEnd(coordinator: Coordinator, rounds: WorkerRounds): Promise<void> {
  try {
    const error = await coordinator.settled;
    if (error) throw error;
    // Every rank reported done; give the processes the time to print and exit (a
    // straggler is killed below).
    const patience = new AbortController();
    await Promise.race([
      rounds.exited(),
      sleep(coordinator.settings.heartbeatTimeoutMs, patience.signal).catch(() => {}),
    ]).finally(() => patience.abort());
  } finally {
    await rounds.end();
    coordinator.close();
  }
}

/** Runs a local job to its end: 0 when every rank finished; rejects with the failure otherwise. */
export async function runLocalJob(config: TrainConfig, options: LocalJobOptions): Promise<number> {
  await startLocalJob(config, options).finished;
  return 0;
}

/**
 * `train --workers N` from `train`'s parsed flags: checks the data, model and optimizer
 * in this process first (bad input exits 2 before any worker starts), then runs the
 * local job.
 */
export async function trainOnWorkers(config: TrainConfig, values: FlagValues): Promise<number> {
  requireOneProcessFor(config, values.workers as number);
  const { train } = await loadTrainingData(config);
  // Builds the model and optimizer once, so that a bad configuration is a usage error here
  // rather than a failure of every worker.
  buildTrainer(config, createCpuBackend(), train);
  const out = (values.out as string | undefined) ?? join("runs", newRunId());
  const token = localJobToken();
  const workers = values.workers as number;
  const dashboard = startRunDashboard(values.dashboard as string, basename(out), token, workers);
  const job = startLocalJob(config, {
    token,
    onRecords: dashboard?.addRecords,
    workers,
    backend: values.backend as BackendKind,
    link: values.link as LinkChoice | undefined,
    cpu: { threads: values.threads as number, sgemm: values.sgemm as string },
    out,
    resume: values.resume as string | undefined,
    quiet: values.quiet as boolean,
    ...meshOptionsFromFlags(values),
  });
  // Workers run in their own process group: every signal reaches them through here.
  const stop = (cause: StopCause) => {
    console.error(`gradmesh train: ${cause}: every worker checkpoints at its next read-back`);
    job.stop();
  };
  const removeListeners = onStopSignals(stop, "gradmesh train");
  const unwatch = onTaskParentGone(() => stop("parent gone"));
  try {
    await watchedJob(dashboard, job);
  } finally {
    unwatch();
    removeListeners();
  }
  return 0;
}
