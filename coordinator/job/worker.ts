/**
 * One data-parallel rank: serves its ring endpoint, joins the coordinator, logs the
 * adapter it got, trains with `fit` over an HTTP mesh while a heartbeat on its own thread
 * reports its step, and tells the coordinator how it ended. It stops when the coordinator says the job
 * failed elsewhere, and when the coordinator has been unreachable for longer than the
 * heartbeat timeout. When a failure starts a new round (`--max-restarts`) it rejects with
 * a `JobRestartError`, and the caller may join again.
 *
 * @module
 */

import { join } from "node:path";
import { TENSORBOARD_DIR } from "../../core/metrics/tfevents.ts";
import type { Backend } from "../../core/backend.ts";
import { removeStaleTemps } from "../../core/checkpoint/atomic.ts";
import type { Dataset } from "../../core/data/dataset.ts";
import { UsageError } from "../../core/errors.ts";
import type { MetricsRecord } from "../../core/metrics/jsonl.ts";
import { type EpochSummary, fit, type FitCallbacks, type FitResult } from "../../core/train/fit.ts";
import { FIT_CURVE_FILE } from "../../core/train/regression_eval.ts";
import { abortable } from "../transport/abortable.ts";
import { isWildcard } from "../transport/base_url.ts";
import { describeLink, type LinkChoice } from "../transport/link_choice.ts";
import { DEFAULT_NATIVE_SPREAD } from "../transport/native_link.ts";
import { alignedBucketElems, planForTrainer } from "./bucket_plan.ts";
import { buildTrainer } from "../../core/train/config.ts";
import { DEFAULT_RENDEZVOUS_TIMEOUT_MS } from "./coordinator.ts";
import { CoordinatorClient } from "./coordinator_client.ts";
import { meshForFit } from "./fit_mesh.ts";
import { HeartbeatThread } from "./heartbeat_thread.ts";
import { RecordsSender } from "./records_sender.ts";
import { CoordinatorError, JobAbortedError, JobRestartError } from "./job_errors.ts";
import { openRingEndpoint } from "./ring_endpoint.ts";
import { PowerSgd } from "./powersgd.ts";
import type { JoinReply } from "./wire.ts";

/** Options of {@link runWorker}. */
export interface WorkerOptions {
  /** Base URL of the coordinator, e.g. `http://10.0.0.1:29500`. */
  readonly coordinatorUrl: string;
  /** The job token. */
  readonly token: string;
  /** Interface the ring endpoint binds. Default `127.0.0.1`. */
  readonly host?: string;
  /**
   * Address peers reach this worker at. Default: `host`, or this machine's hostname when
   * `host` is a wildcard such as `0.0.0.0`.
   */
  readonly advertise?: string;
  /** Port of the ring endpoint; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /**
   * Serve the ring endpoint and run every all-reduce on a thread of its own, so that a
   * main thread blocked in a read-back does not stall the mesh. Default: on WebGPU.
   */
  readonly reduceThread?: boolean;
  /** `--link`: native, http or auto (native where it loads). Default `auto`. */
  readonly link?: LinkChoice;
  /** Rank to ask for (torchrun's `RANK`); assigned in join order when absent. */
  readonly rank?: number;
  /** World size the launcher expects (`WORLD_SIZE`); a job of another size is an error. */
  readonly world?: number;
  /** Compute backend; its description is the adapter reported and logged. */
  readonly backend: Backend;
  /** Heartbeat interval. Default: the coordinator's. */
  readonly heartbeatMs?: number;
  /** How long a coordinator that is not listening yet is retried. Default 120 s. */
  readonly connectTimeoutMs?: number;
  /** Loads the splits that the job's configuration (`job.config`) names. */
  loadData(job: JoinReply): Promise<{ train: Dataset; test: Dataset }>;
  /** `fit`'s callbacks for this rank, once it knows its place (rank 0 shows progress). */
  callbacks?(job: JoinReply): FitCallbacks;
  /** Where the adapter line goes. Default `console.log`. */
  log?(line: string): void;
  /** Where warnings go (ranks sharing an adapter). Default `console.warn`. */
  warn?(line: string): void;
  /** The line the coordinator hears when this rank fails. Default the error's message. */
  describeError?(error: Error): string;
  /** `fit`'s `stopRequested`: asked to stop (preemption), every rank checkpoints and ends. */
  stopRequested?(): boolean;
}

/** What a rank that finished knows. */
export interface WorkerResult {
  readonly job: JoinReply;
  readonly result: FitResult;
  /** Where rank 0 wrote the checkpoint and metrics; null on other ranks. */
  readonly checkpointPath: string | null;
  readonly metricsPath: string | null;
}

// Long enough for a report to land, short enough not to hold up a failing worker.
const FAIL_REPORT_TIMEOUT_MS = 2000;

/**
 * Runs one rank of a job to the end. Rejects with the error that stopped it (after
 * reporting it to the coordinator): a `JobAbortedError` when another rank failed, a
 * `CoordinatorError` when the coordinator refused or vanished, a `MeshError` naming the
 * peer that failed.
 *
 * @example
 * ```ts ignore
 * import { runWorker } from "./worker.ts";
 * import { createCpuBackend } from "../../core/cpu/backend.ts";
 * import { loadDataset } from "../../core/data/source.ts";
 * const { job, result } = await runWorker({
 *   coordinatorUrl: "http://127.0.0.1:29500",
 *   token: Deno.env.get("GRADMESH_TOKEN")!,
 *   backend: createCpuBackend(),
 *   loadData: (job) => loadDataset(job.config.data),
 * });
 * ```
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerResult> {
  const { backend, token } = options;
  const log = options.log ?? console.log;
  const host = options.host ?? "127.0.0.1";
  const advertise = options.advertise ?? (isWildcard(host) ? Deno.hostname() : host);
  // Until this rank has laid out its gradient (after the join and the data), a chunk is
  // answered "not ready" and its sender retries.
  const endpoint = await openRingEndpoint({
    threaded: options.reduceThread ?? backend.name === "webgpu",
    token,
    hostname: host,
    port: options.port ?? 0,
    link: options.link,
  });
  const client = new CoordinatorClient(options.coordinatorUrl, token);
  const stop = new AbortController();
  const heartbeat = new HeartbeatThread();
  try {
    // Joined, the coordinator expects beats within its timeout: the thread must be up.
    await heartbeat.ready;
    const job = await client.join({
      host: advertise,
      ringUrl: announcedUrl(endpoint.url, advertise),
      adapter: backend.description,
      rank: options.rank,
    }, options.connectTimeoutMs ?? DEFAULT_RENDEZVOUS_TIMEOUT_MS);
    const { rank, world, settings } = job;
    client.rank = rank;
    client.round = job.round;
    if (options.world !== undefined && options.world !== world) {
      throw new UsageError("WORLD_SIZE", `is ${options.world}, but the job has ${world} ranks`);
    }
    logAdapter(job, advertise, backend, log, options.warn ?? console.warn);
    log(`rank ${rank}/${world} link: ${describeLink(endpoint.link)}`);
    heartbeat.start({
      url: options.coordinatorUrl,
      token,
      rank,
      round: job.round,
      intervalMs: options.heartbeatMs ?? settings.heartbeatIntervalMs,
      timeoutMs: settings.heartbeatTimeoutMs,
    }, (error) => stop.abort(error));
    // The model, and so the gradient's layout, depends on the data's sample shape. The
    // trainer is built once, here: the bucket plan is its layout, and fit trains it.
    const data = await abortable(options.loadData(job), stop.signal);
    const trainer = buildTrainer(job.config, backend, data.train);
    const powerSgd = settings.powerSgd &&
      new PowerSgd(trainer.flat.slots, world, { ...settings.powerSgd, seed: job.config.seed });
    const plan = planForTrainer(
      trainer,
      world,
      job.config.syncBn,
      alignedBucketElems(settings.bucketElems),
      settings.chunkElems,
      {
        algorithm: settings.allreduce,
        gradDtype: settings.gradDtype,
        hosts: [...job.members].sort((a, b) => a.rank - b.rank).map((m) => m.host),
        streams: settings.streams ??
          (endpoint.link.kind === "native" ? DEFAULT_NATIVE_SPREAD : undefined),
        powerSgdLengths: powerSgd?.vectorLengths,
      },
    );
    const link = await endpoint.join({
      rank,
      peers: job.peers,
      // After the rendezvous every endpoint listens: a refusal means a dead peer, which
      // the coordinator's heartbeat verdict names better, so it gets the time to arrive.
      connectRetryMs: 2 * settings.heartbeatTimeoutMs,
      maxInFlight: settings.streams ?? undefined,
    }, plan);
    const root = rank === 0;
    if (root) {
      await Deno.mkdir(job.out, { recursive: true });
      await removeStaleTemps(job.out); // left by a checkpoint write a kill interrupted
    }
    const checkpointPath = root ? join(job.out, "checkpoint.safetensors") : null;
    const metricsPath = root ? join(job.out, "metrics.jsonl") : null;
    const callbacks = options.callbacks?.(job) ?? {};
    const records = root ? new RecordsSender(client, rank) : null;
    const onRecord = (record: MetricsRecord) => {
      callbacks.onRecord?.(record);
      records?.add(record);
    };
    let reports = Promise.resolve();
    const onEpoch = (summary: EpochSummary) => {
      callbacks.onEpoch?.(summary);
      // Best effort: a coordinator that cannot be reached is the heartbeat's business.
      if (root) {
        reports = reports.then(() => client.metrics({ rank, epoch: summary })).catch(() => {});
      }
    };
    const mesh = meshForFit(link, {
      rank,
      plan,
      backend,
      timeoutMs: settings.ringTimeoutMs,
      checksumEvery: settings.checksumEvery,
      signal: stop.signal,
      powerSgd,
      onStep: (step, timing) => {
        client.step = step;
        heartbeat.stepped(step, timing);
      },
    });
    const result = await abortable(
      fit(trainer, job.config, data, {
        checkpointPath,
        metricsPath,
        curvePath: root ? join(job.out, FIT_CURVE_FILE) : null,
        evalEvery: settings.evalEvery,
        logEvery: settings.logEvery,
        checkpointEvery: settings.checkpointEvery,
        keepCheckpoints: settings.keepCheckpoints,
        tensorboardDir: root && settings.tensorboard ? join(job.out, TENSORBOARD_DIR) : null,
        stopRequested: options.stopRequested,
        resume: job.resume ?? undefined,
        mesh,
      }, { ...callbacks, onEpoch, onRecord }),
      stop.signal,
    );
    await reports;
    await records?.flush();
    await client.done({
      rank,
      step: client.step,
      final: result.final,
      round: job.round,
      ...(result.stoppedAt !== null && { stoppedAt: result.stoppedAt }),
    });
    return { job, result, checkpointPath, metricsPath };
  } catch (error) {
    await reportFailure(client, error, options.describeError ?? ((e) => e.message));
    throw await restartInstead(client, error);
  } finally {
    heartbeat.stop();
    await endpoint.close();
  }
}

// The coordinator learns why this rank stops, unless the reason is the coordinator itself
// (it told us to stop, refused us, or cannot be reached) or we never got a rank.
async function reportFailure(
  client: CoordinatorClient,
  error: unknown,
  describe: (error: Error) => string,
): Promise<void> {
  const fromCoordinator = error instanceof CoordinatorError || error instanceof JobAbortedError;
  if (client.rank === null || fromCoordinator) return;
  const message = error instanceof Error ? describe(error) : String(error);
  const round = client.round ?? undefined;
  await client.fail(
    { rank: client.rank, message, step: client.step, round },
    FAIL_REPORT_TIMEOUT_MS,
  )
    .catch(() => {});
}

// A failure this rank saw (a peer that vanished) may have started a new round rather than
// ended the job: then the rank should join again, as when its heartbeat hears of it.
async function restartInstead(client: CoordinatorClient, error: unknown): Promise<unknown> {
  const fromCoordinator = error instanceof CoordinatorError || error instanceof JobAbortedError;
  if (client.rank === null || client.round === null || fromCoordinator) return error;
  const request = { rank: client.rank, step: client.step, round: client.round };
  const reply = await client.heartbeat(request, FAIL_REPORT_TIMEOUT_MS).catch(() => null);
  return reply?.restart ? new JobRestartError(client.rank, client.step, reply.abort!) : error;
}

function logAdapter(
  job: JoinReply,
  host: string,
  backend: Backend,
  log: (line: string) => void,
  warn: (line: string) => void,
): void {
  const adapter = backend.description;
  log(`rank ${job.rank}/${job.world} on ${host}: backend ${backend.name}, adapter "${adapter}"`);
  // Processes share a CPU happily; two ranks on one GPU halve each other's speed.
  if (backend.name === "cpu") return;
  const twins = job.members.filter((m) =>
    m.rank !== job.rank && m.host === host && m.adapter === adapter
  );
  if (twins.length === 0) return;
  warn(
    `warning: rank ${job.rank} shares adapter "${adapter}" with rank ` +
      `${twins.map((m) => m.rank).join(", ")} on ${host}; give each worker its own GPU ` +
      `(NVIDIA_VISIBLE_DEVICES or MESA_VK_DEVICE_SELECT, see docs/cluster.md)`,
  );
}

/** The endpoint `url` as peers dial it: its scheme and port, at `advertise`. */
function announcedUrl(url: string, advertise: string): string {
  const { protocol, port } = new URL(url);
  return `${protocol}//${advertise.includes(":") ? `[${advertise}]` : advertise}:${port}`;
}
