/**
 * `train --workers N`: a data-parallel job on this machine. The coordinator runs in this
 * process on 127.0.0.1 with a fresh job token (or `GRADMESH_TOKEN`); N `gradmesh worker`
 * processes get their rank, the coordinator's address and the token through the
 * environment, never the command line. Rank 0's output is the run's output. When any
 * rank fails — a process exits non-zero or is killed, or the coordinator fails the job —
 * every remaining process is stopped (SIGTERM, then SIGKILL after a grace period) and the
 * run ends with one error naming the rank, host and step.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { defaultThreads } from "../cpu/backend.ts";
import type { BackendKind } from "./backend_choice.ts";
import { GradmeshError } from "../core/errors.ts";
import { buildTrainer, type TrainConfig } from "../core/train/config.ts";
import { DEFAULT_BUCKET_ELEMS } from "../coordinator/bucket_plan.ts";
import {
  Coordinator,
  DEFAULT_HEARTBEAT_TIMEOUT_MS,
  DEFAULT_RENDEZVOUS_TIMEOUT_MS,
  newRunId,
} from "../coordinator/coordinator.ts";
import { serveCoordinator } from "../coordinator/coordinator_server.ts";
import { requireToken } from "../coordinator/env.ts";
import { DEFAULT_CHECKSUM_EVERY } from "../coordinator/fit_mesh.ts";
import { WorkerExitError } from "../coordinator/job_errors.ts";
import { sleep } from "../coordinator/sleep.ts";
import { newJobToken } from "../coordinator/token.ts";
import { requireOneProcessFor } from "../core/train/fit.ts";
import { loadTrainingData } from "../core/train/training_data.ts";
import type { JobSettings, JobStatus } from "../coordinator/wire.ts";
import type { FlagTable, FlagValues } from "./flags.ts";

/** Flags that tune the mesh: `coordinator`'s, and `train`'s for `--workers N`. */
export const meshFlags: FlagTable = {
  "rendezvous-timeout": {
    type: "number",
    default: DEFAULT_RENDEZVOUS_TIMEOUT_MS / 1000,
    min: 0,
    exclusiveMin: true,
    help: "seconds for all workers to join",
  },
  "heartbeat-timeout": {
    type: "number",
    default: DEFAULT_HEARTBEAT_TIMEOUT_MS / 1000,
    min: 0,
    exclusiveMin: true,
    help: "seconds of silence after which a worker counts as dead",
  },
  "checksum-every": {
    type: "integer",
    default: DEFAULT_CHECKSUM_EVERY,
    min: 0,
    help: "compare parameter checksums across ranks every N steps (0: never)",
  },
  "bucket-cap-mb": {
    type: "number",
    default: (DEFAULT_BUCKET_ELEMS * Float32Array.BYTES_PER_ELEMENT) / 2 ** 20,
    min: 0,
    exclusiveMin: true,
    help: "gradient bucket size in MiB (PyTorch DDP's bucket_cap_mb)",
  },
};

/** What a coordinator takes from flags. */
export interface MeshOptions {
  rendezvousTimeoutMs?: number;
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
  };
  return { rendezvousTimeoutMs: seconds("rendezvous-timeout"), settings };
}

/** Options of {@link startLocalJob}. */
export interface LocalJobOptions {
  /** Number of worker processes. */
  readonly workers: number;
  /** Every worker's `--backend`. */
  readonly backend: BackendKind;
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
  /** How long a stopped worker gets between SIGTERM and SIGKILL. Default 3 s. */
  readonly killGraceMs?: number;
  /** Receives rank 0's output line by line; by default rank 0 writes to this process's stdout. */
  readonly rank0Output?: (line: string) => void;
}

/** A running local job. */
export interface LocalJob {
  /** Where the coordinator listens. */
  readonly coordinatorUrl: string;
  /** Process id of every worker, by rank. */
  readonly pids: readonly number[];
  /** The coordinator's view of the job. */
  status(): JobStatus;
  /**
   * Resolves when every rank finished and every worker exited; rejects with the first
   * failure once every worker is gone.
   */
  readonly finished: Promise<void>;
}

const HOST = "127.0.0.1";
const DEFAULT_KILL_GRACE_MS = 3000;
// How long the coordinator's verdict waits for a worker's death by a signal (see failure).
const VERDICT_GRACE_MS = 500;
// Lines of each worker's stderr kept to explain an exit the coordinator did not see.
const STDERR_TAIL_LINES = 20;
// The permissions of `deno task train`.
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-run",
  "--allow-sys",
  "--allow-ffi",
];

interface WorkerProcess {
  readonly rank: number;
  readonly process: Deno.ChildProcess;
  readonly stderrTail: string[];
  exited: boolean;
  /** Resolves when its output streams are drained. */
  readonly drained: Promise<void>;
}

async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let pending = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + text).split("\n");
    pending = lines.pop()!;
    lines.forEach(onLine);
  }
  if (pending) onLine(pending);
}

function spawnWorker(
  rank: number,
  env: Record<string, string>,
  args: string[],
  rank0Output: ((line: string) => void) | undefined,
): WorkerProcess {
  const root = rank === 0;
  const process = new Deno.Command(Deno.execPath(), {
    args,
    env: { ...env, RANK: String(rank), LOCAL_RANK: String(rank) },
    stdin: "null",
    stdout: root ? (rank0Output ? "piped" : "inherit") : "null",
    stderr: "piped",
  }).spawn();
  const stderrTail: string[] = [];
  const keep = (line: string) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_TAIL_LINES) stderrTail.shift();
  };
  const drained = Promise.all([
    forEachLine(process.stderr, keep),
    root && rank0Output ? forEachLine(process.stdout, rank0Output) : undefined,
  ]).then(() => {});
  const worker: WorkerProcess = { rank, process, stderrTail, exited: false, drained };
  process.status.then(() => worker.exited = true);
  return worker;
}

function signalAll(workers: readonly WorkerProcess[], signal: Deno.Signal): void {
  for (const w of workers) {
    if (w.exited) continue;
    try {
      w.process.kill(signal);
    } catch {
      // It exited between the check and the signal.
    }
  }
}

/** SIGTERM to every worker still running, SIGKILL to those still running after `graceMs`. */
async function stopAll(workers: readonly WorkerProcess[], graceMs: number): Promise<void> {
  signalAll(workers, "SIGTERM");
  const grace = new AbortController();
  await Promise.race([
    Promise.all(workers.map((w) => w.process.status)),
    sleep(graceMs, grace.signal).catch(() => {}),
  ]);
  grace.abort();
  signalAll(workers, "SIGKILL");
  await Promise.all(workers.map((w) => w.process.status));
}

function exitError(worker: WorkerProcess, status: Deno.CommandStatus, step: number): GradmeshError {
  const how = status.signal ? `killed by ${status.signal}` : `exited with code ${status.code}`;
  // A worker that exits on its own prints why as its last line; a killed one says nothing.
  const last = status.signal ? undefined : worker.stderrTail.findLast((l) => l.trim())?.trim();
  const message = `worker process ${how}${last ? `: ${last}` : ""}`;
  return new WorkerExitError(worker.rank, HOST, step, message);
}

/**
 * Starts the coordinator and `options.workers` worker processes training `config`.
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
  const token = options.token ??
    (Deno.env.has("GRADMESH_TOKEN") ? requireToken(Deno.env.get("GRADMESH_TOKEN")) : newJobToken());
  const coordinator = new Coordinator({
    world: options.workers,
    config,
    out: options.out,
    resume: options.resume,
    rendezvousTimeoutMs: options.rendezvousTimeoutMs,
    settings: options.settings,
  });
  const server = serveCoordinator(coordinator, { token, hostname: HOST });
  const main = fileURLToPath(new URL("./main.ts", import.meta.url));
  const denoConfig = fileURLToPath(new URL("../deno.json", import.meta.url));
  const args = [
    "run",
    "--config",
    denoConfig,
    ...PERMISSIONS,
    main,
    "worker",
    "--backend",
    options.backend,
    "--threads",
    `${options.cpu?.threads || defaultThreads(options.workers)}`,
    "--sgemm",
    options.cpu?.sgemm ?? "auto",
    ...(options.quiet ? ["--quiet"] : []),
  ];
  const env = {
    WORLD_SIZE: String(options.workers),
    MASTER_ADDR: HOST,
    MASTER_PORT: String(server.port),
    GRADMESH_TOKEN: token,
  };
  const workers = Array.from(
    { length: options.workers },
    (_, rank) => spawnWorker(rank, env, args, options.rank0Output),
  );
  const stepOf = (rank: number) =>
    coordinator.status().members.find((m) => m.rank === rank)?.step ?? 0;
  // The first failure. A worker killed by a signal could not say why, and its peers'
  // reports that it vanished often reach the coordinator just before its exit reaches us:
  // the coordinator's verdict waits briefly so that the death names the culprit. A worker
  // that exits with a code reported its own error, so its exit waits for that verdict.
  const failure = new Promise<GradmeshError>((resolve) => {
    coordinator.settled.then(async (error) => {
      if (!error) return;
      await sleep(VERDICT_GRACE_MS);
      resolve(error);
    });
    for (const w of workers) {
      w.process.status.then(async (status) => {
        if (status.success) return;
        if (!status.signal) await sleep(2 * VERDICT_GRACE_MS);
        resolve(exitError(w, status, stepOf(w.rank)));
      });
    }
  });
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const finished = (async () => {
    try {
      // Success is the coordinator settling without an error; its errors come via failure.
      const succeeded = new Promise<null>((resolve) => {
        coordinator.settled.then((error) => error === null && resolve(null));
      });
      const outcome = await Promise.race([failure, succeeded]);
      if (outcome) throw outcome;
      // Every rank reported done; give the processes the time to print and exit (a
      // straggler is stopped below).
      const patience = new AbortController();
      const late = await Promise.race([
        Promise.all(workers.map((w) => w.process.status)).then(() => null),
        failure,
        sleep(coordinator.settings.heartbeatTimeoutMs, patience.signal).then(() => null),
      ]).finally(() => patience.abort());
      if (late) throw late;
    } finally {
      await stopAll(workers, graceMs);
      await Promise.all(workers.map((w) => w.drained));
      coordinator.close();
      await server.shutdown();
    }
  })();
  return {
    coordinatorUrl: server.url,
    pids: workers.map((w) => w.process.pid),
    status: () => coordinator.status(),
    finished,
  };
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
  return await runLocalJob(config, {
    workers: values.workers as number,
    backend: values.backend as BackendKind,
    cpu: { threads: values.threads as number, sgemm: values.sgemm as string },
    out: (values.out as string | undefined) ?? join("runs", newRunId()),
    resume: values.resume as string | undefined,
    quiet: values.quiet as boolean,
    ...meshOptionsFromFlags(values),
  });
}
