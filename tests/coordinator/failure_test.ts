import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { loadDataset } from "../../core/data/source.ts";
import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { fit } from "../../core/train/fit.ts";
import { startLocalJob } from "../../cli/local_job.ts";
import { planForTrainer } from "../../coordinator/job/bucket_plan.ts";
import { MeshError } from "../../coordinator/transport/errors.ts";
import { meshForFit } from "../../coordinator/job/fit_mesh.ts";
import { ParameterMismatchError, WorkerExitError } from "../../coordinator/job/job_errors.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import {
  needsClusterCommands,
  processGone,
  runMain,
  trainCommand,
  waitFor,
  workerPids,
  writeDigits,
} from "./job_fixtures.ts";

const dir = await Deno.makeTempDir({ prefix: "gradmesh-failure-" });
const spec = await writeDigits(dir, 2000, 100);
const config: TrainConfig = {
  ...defaultTrainConfig,
  data: spec,
  model: "784-16-10",
  epochs: 20,
  batchSize: 32,
};

Deno.test("a rank whose parameters were corrupted is named by the checksum on every rank", async () => {
  const data = await loadDataset(spec, { cache: false });
  const short = { ...config, epochs: 1 };
  const trainers = memoryMesh(3).map(() => buildTrainer(short, createCpuBackend(), data.train));
  const plan = planForTrainer(trainers[0], 3, false);
  const outcomes = await Promise.allSettled(
    memoryMesh(3).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      const mesh = meshForFit(link, { rank, plan, backend, checksumEvery: 5 });
      const afterStep = mesh.afterStep!;
      return fit(trainer, short, data, {
        checkpointPath: null,
        metricsPath: null,
        evalEvery: 1,
        logEvery: 10,
        mesh: {
          ...mesh,
          async afterStep(step, trainer) {
            if (rank === 2 && step === 4) {
              const { flat } = trainer;
              const params = await flat.backend.read(flat.params);
              params[123] += 1e-3;
              flat.backend.write(flat.params, params);
            }
            await afterStep(step, trainer);
          },
        },
      });
    }),
  );
  for (const outcome of outcomes) {
    assert.equal(outcome.status, "rejected");
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof ParameterMismatchError, String(error));
    assert.deepEqual(error.ranks, [2]);
    assert.equal(error.step, 5);
    assert.match(
      error.message,
      /^rank 2 \(memory\), step 5: parameters differ from rank 0's \(checksum 0x[0-9a-f]{8}\): rank 2 0x[0-9a-f]{8}$/,
    );
  }
});

/** Starts a 3-worker job and waits until every rank has reported step 10. */
async function runningJob(heartbeatTimeoutMs: number) {
  const out = await Deno.makeTempDir({ dir, prefix: "run-" });
  const job = startLocalJob(config, {
    workers: 3,
    backend: "cpu",
    out,
    quiet: true,
    rank0Output: () => {},
    settings: { heartbeatTimeoutMs },
  });
  const outcome = job.finished.then(() => null, (e: unknown) => e);
  await waitFor("every rank at step 10", () => {
    const { members, phase } = job.status();
    return phase !== "rendezvous" && members.every((m) => m.step >= 10);
  });
  return { job, outcome };
}

async function assertAllGone(pids: readonly number[]): Promise<void> {
  for (const pid of pids) assert.ok(await processGone(pid), `worker process ${pid} is still there`);
}

Deno.test({
  name:
    "a worker killed with SIGKILL mid-training stops the job at once, naming rank, host and step",
  ...await needsClusterCommands(),
  async fn() {
    const { job, outcome } = await runningJob(5000);
    const killedAt = performance.now();
    Deno.kill(job.pids[1], "SIGKILL");
    const error = await outcome;
    const seconds = (performance.now() - killedAt) / 1000;
    assert.ok(error instanceof WorkerExitError, String(error));
    assert.equal(error.rank, 1);
    assert.equal(error.host, "127.0.0.1");
    assert.ok(error.step >= 10, error.message);
    assert.match(
      error.message,
      /^rank 1 \(127\.0\.0\.1\), step \d+: worker process killed by SIGKILL$/,
    );
    assert.ok(seconds < 3, `stopped after ${seconds} s`);
    await assertAllGone(job.pids);
  },
});

Deno.test({
  name:
    "a stalled worker (SIGSTOP) fails the job after the heartbeat timeout; every process is gone",
  ...await needsClusterCommands(),
  async fn() {
    const { job, outcome } = await runningJob(1500);
    const stoppedAt = performance.now();
    Deno.kill(job.pids[2], "SIGSTOP");
    const error = await outcome;
    const seconds = (performance.now() - stoppedAt) / 1000;
    assert.ok(error instanceof MeshError, String(error));
    assert.equal(error.rank, 2);
    assert.equal(error.host, "127.0.0.1");
    assert.ok(error.step >= 10, error.message);
    assert.match(
      error.message,
      /^rank 2 \(127\.0\.0\.1\), step \d+: stopped responding: no heartbeat for [\d.]+ s$/,
    );
    // Heartbeat timeout, then SIGTERM (pending on a stopped process), then SIGKILL.
    assert.ok(seconds > 1.4 && seconds < 6, `stopped after ${seconds} s`);
    await assertAllGone(job.pids);
  },
});

Deno.test({
  name: "a worker that fails reports why; the job ends with that one line",
  ...await needsClusterCommands(),
  async fn() {
    const job = startLocalJob({ ...config, model: "784-16-7" }, {
      workers: 2,
      backend: "cpu",
      out: `${dir}/bad`,
      rank0Output: () => {},
    });
    await assert.rejects(job.finished, (e: unknown) => {
      assert.ok(e instanceof MeshError, String(e));
      assert.match(
        e.message,
        /^rank [01] \(127\.0\.0\.1\), step 0: --model: output size 7 does not match the data's 10 classes$/,
      );
      return true;
    });
    await assertAllGone(job.pids);
  },
});

Deno.test({
  name: "`train --workers 2` with a model that does not fit the data: one line, exit 2, no worker",
  ...await needsClusterCommands(),
  async fn() {
    const { code, stdout, stderr } = await runMain([
      "train",
      "--workers=2",
      "--backend=cpu",
      `--data=${spec}`,
      "--model=100-10",
      `--out=${dir}/usage`,
    ]);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      "gradmesh train: --model: input size 100 does not match the data's 784 values per sample\n",
    );
  },
});

Deno.test({
  name:
    "`train --workers 2` when a worker is killed: one error line naming rank, host and step, exit 1",
  ...await needsClusterCommands(),
  async fn() {
    const train = trainCommand([
      "--workers=2",
      "--backend=cpu",
      `--data=${spec}`,
      "--model=784-16-10",
      "--epochs=50",
      `--out=${dir}/killed`,
    ], { stdout: "null", timeoutMs: 30_000 }).spawn();
    let workers: number[] = [];
    await waitFor("two workers", async () => (workers = await workerPids(train.pid)).length === 2);
    // Long enough to be training: the rendezvous takes well under a second.
    await new Promise((r) => setTimeout(r, 1500));
    Deno.kill(workers[1], "SIGKILL");
    const { code, stderr } = await train.output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 1, text);
    assert.match(
      text,
      /^gradmesh train: rank [01] \(127\.0\.0\.1\), step \d+: worker process killed by SIGKILL\n$/,
    );
    await assertAllGone(workers);
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
