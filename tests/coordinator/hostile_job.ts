/**
 * The job that the hostile-client tests attack: a 2-worker run of a small MLP on digits,
 * started on the link under test, its endpoints' ports, and the check that it trained
 * exactly as one process does once the attack is over.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { loadDataset } from "../../core/data/source.ts";
import { defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import { type LocalJob, startLocalJob } from "../../cli/local_job.ts";
import type { LinkChoice } from "../../coordinator/transport/link_choice.ts";
import { relativeError, waitFor, writeDigits } from "./job_fixtures.ts";
import { RawClient, within } from "./raw_client.ts";

export const STEPS = 50;
export const BATCH = 32;
export const dir = await Deno.makeTempDir({ prefix: "gradmesh-hostile-" });
export const spec = await writeDigits(dir, STEPS * BATCH, 200);
export const config: TrainConfig = {
  ...defaultTrainConfig,
  data: spec,
  model: "784-16-10",
  // Far longer than any attack takes: the job is still training when it is stopped (on the
  // native link, 200 epochs take about 10 s).
  epochs: 5000,
  batchSize: BATCH,
  seed: 3,
};
export const token = "hostile-test-token";
/** Resident memory a worker may reach while under attack (a clean run sits near 150 MiB). */
export const WORKER_RSS_BOUND_MIB = 400;

/** Parameters of one process training `config` for `steps` steps (null: to the end). */
export async function reference(steps: number | null): Promise<Float32Array> {
  const data = await loadDataset(spec, { cache: false });
  let taken = 0;
  const options = {
    checkpointPath: null,
    metricsPath: null,
    evalEvery: 100,
    logEvery: 50,
    stopRequested: () => ++taken === steps,
  };
  const { trainer, stoppedAt } = await fitConfig(config, createCpuBackend(), data, options);
  assert.equal(stoppedAt, steps);
  return await trainer.flat.backend.read(trainer.flat.params);
}

/** Parameters of the checkpoint in `out`, flattened in order. */
export async function checkpointParams(out: string): Promise<Float32Array> {
  const { params } = await loadCheckpoint(`${out}/checkpoint.safetensors`);
  const flat = new Float32Array(params.reduce((n, t) => n + t.data.length, 0));
  let at = 0;
  for (const t of params) {
    flat.set(t.data, at);
    at += t.data.length;
  }
  return flat;
}

/** Resident memory of process `pid` in MiB (Linux), or 0 once it is gone. */
export async function rssMiB(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The TCP port process `pid` listens on (Linux): its ring endpoint, for a worker. */
export async function listeningPort(pid: number): Promise<number> {
  const inodes = new Set<string>();
  for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
    const link = await Deno.readLink(`/proc/${pid}/fd/${fd.name}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
    if (inode) inodes.add(inode);
  }
  const table = await Deno.readTextFile(`/proc/${pid}/net/tcp`);
  for (const line of table.trim().split("\n").slice(1)) {
    const [, local, , state, , , , , , inode] = line.trim().split(/\s+/);
    if (state === "0A" && inodes.has(inode)) return parseInt(local.split(":")[1], 16);
  }
  throw new Error(`process ${pid} listens on no TCP port`);
}

/** Starts the job on `link` and waits until both ranks train; the ports of every endpoint. */
export async function startTraining(out: string, link: LinkChoice = "http") {
  const job = startLocalJob(config, {
    workers: 2,
    // The reference backend, as the one-process run compared against: at its pace the job
    // is still training while the flood and the fuzzer are at work.
    backend: "cpu-ref",
    link,
    out,
    token,
    rank0Output: () => {},
    settings: { logEvery: 10, checksumEvery: 10 },
  });
  job.finished.catch(() => {});
  await waitFor("training", () => job.status().members.some((m) => m.step > 0), 60_000);
  // Rank r is the worker started r-th.
  const ports: Record<string, number> = {
    coordinator: Number(new URL(job.coordinatorUrl).port),
    "rank 0": await listeningPort(job.pids[0]),
    "rank 1": await listeningPort(job.pids[1]),
  };
  return { job, ports };
}

/**
 * Stops the job once the attack is over (it would train on for tens of seconds): it
 * succeeds, and its checkpoint at the step where it stopped is exactly what one process
 * reaches in as many steps.
 */
export async function assertTrainedCorrectly(job: LocalJob, out: string) {
  job.stop();
  await job.finished;
  const { phase, stoppedAt } = job.status();
  assert.equal(phase, "done");
  const error = relativeError(await checkpointParams(out), await reference(stoppedAt));
  assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)} at step ${stoppedAt}`);
}

/** mulberry32: a small seeded generator, so that a failing run can be replayed. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sends `bytes` on a new connection to `port` and half-closes it: everything the server
 * will get was sent, so it must answer or close at once. Whether it closed within 2 s, or
 * `null` when the connection could not be made.
 */
export async function sentWhole(port: number, bytes: Uint8Array): Promise<boolean | null> {
  const client = await RawClient.open(port).catch(() => null);
  if (!client) return null;
  await client.write(bytes);
  await client.end();
  const closed = await within(client.closed, 2000);
  client.close();
  return closed;
}
