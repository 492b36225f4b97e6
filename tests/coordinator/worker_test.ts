import assert from "node:assert/strict";
import type { Backend } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import type { Dataset } from "../../core/data/dataset.ts";
import { loadDataset } from "../../core/data/source.ts";
import { UsageError } from "../../core/errors.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { buildTrainer, defaultTrainConfig } from "../../core/train/config.ts";
import { BucketPlan, planForTrainer } from "../../coordinator/job/bucket_plan.ts";
import { Coordinator, type CoordinatorOptions } from "../../coordinator/job/coordinator.ts";
import { serveCoordinator } from "../../coordinator/job/coordinator_server.ts";
import { CoordinatorError, JobAbortedError } from "../../coordinator/job/job_errors.ts";
import { serveRing } from "../../coordinator/transport/ring_server.ts";
import { runWorker, type WorkerOptions } from "../../coordinator/job/worker.ts";
import { waitFor } from "./job_fixtures.ts";

const TOKEN = "worker-test-token-0123";
const mnist = await loadDataset("mnist");

function firstSamples(ds: Dataset, count: number): Dataset {
  const size = ds.images.length / ds.count;
  // Every 8th sample, so that all ten digits appear.
  const images = new Float32Array(count * size);
  const labels = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    images.set(ds.images.subarray(i * 8 * size, (i * 8 + 1) * size), i * size);
    labels[i] = ds.labels[i * 8];
  }
  return { ...ds, count, images, labels };
}
const data = { train: firstSamples(mnist.train, 256), test: firstSamples(mnist.test, 100) };
const config = { ...defaultTrainConfig, model: "784-8-10", epochs: 2, batchSize: 32 };

/** A coordinator on 127.0.0.1 with a fresh output directory; `await using` removes both. */
function startCoordinator(world: number, options: Partial<CoordinatorOptions> = {}) {
  const out = Deno.makeTempDirSync({ prefix: "gradmesh-worker-" });
  const coordinator = new Coordinator({ world, config, out, ...options });
  const server = serveCoordinator(coordinator, { token: TOKEN });
  return {
    coordinator,
    server,
    out,
    async [Symbol.asyncDispose]() {
      coordinator.close();
      await server.shutdown();
      await Deno.remove(out, { recursive: true });
    },
  };
}

/** The CPU backend under another name and adapter, as a GPU backend would report itself. */
function pretendGpu(adapter: string): Backend {
  const cpu = createCpuBackend();
  return Object.create(cpu, { name: { value: "webgpu" }, description: { value: adapter } });
}

const worker = (url: string, options: Partial<WorkerOptions> = {}) =>
  runWorker({
    coordinatorUrl: url,
    token: TOKEN,
    backend: createCpuBackend(),
    loadData: () => Promise.resolve(data),
    log: () => {},
    ...options,
  });

Deno.test("runWorker: two ranks in one process train over real HTTP; rank 0 writes the run's files", async () => {
  await using job = startCoordinator(2, { settings: { logEvery: 4, checksumEvery: 3 } });
  const { out } = job;
  const logs: string[][] = [[], []];
  const epochs: number[] = [];
  const [a, b] = await Promise.all([0, 1].map((rank) =>
    worker(job.server.url, {
      rank,
      link: "http",
      log: (line) => logs[rank].push(line),
      callbacks: (j) => j.rank === 0 ? { onEpoch: (s) => epochs.push(s.epoch) } : {},
    })
  ));
  assert.equal(await job.coordinator.settled, null);
  assert.deepEqual([a.job.rank, b.job.rank], [0, 1]);
  assert.deepEqual(epochs, [1, 2]);
  assert.equal(a.checkpointPath, `${out}/checkpoint.safetensors`);
  assert.equal(b.checkpointPath, null);
  assert.equal(b.result.final, null);
  assert.ok(a.result.final!.accuracy > 0.2, `accuracy ${a.result.final!.accuracy}`);
  const records = await readMetrics(`${out}/metrics.jsonl`);
  assert.equal(records.filter((r) => r.kind === "epoch").length, 2);
  await Deno.stat(a.checkpointPath!);
  const status = job.coordinator.status();
  assert.deepEqual(status.epochs.map((e) => e.epoch), [1, 2]);
  assert.deepEqual(status.final, a.result.final);
  assert.deepEqual(status.members.map((m) => m.step), [16, 16]);
  for (const [rank, lines] of logs.entries()) {
    assert.deepEqual(lines, [
      `rank ${rank}/2 on 127.0.0.1: backend cpu, adapter "CPU reference (Float32Array)"`,
      `rank ${rank}/2 link: http`,
    ]);
  }
  const [pa, pb] = await Promise.all(
    [a, b].map(({ result: { trainer } }) => trainer.flat.backend.read(trainer.flat.params)),
  );
  assert.deepEqual(new Uint8Array(pa.buffer), new Uint8Array(pb.buffer));
});

Deno.test("runWorker: all-reduce threads train to the bits of the main-thread ring", async () => {
  const params = async (reduceThread: boolean) => {
    await using job = startCoordinator(2, { config: { ...config, epochs: 1 } });
    const runs = await Promise.all(
      [0, 1].map((rank) => worker(job.server.url, { rank, reduceThread })),
    );
    const { trainer } = runs[0].result;
    return new Uint8Array((await trainer.flat.backend.read(trainer.flat.params)).buffer);
  };
  assert.deepEqual(await params(true), await params(false));
});

Deno.test("runWorker: ranks on one host that got the same GPU adapter are warned", async () => {
  await using job = startCoordinator(3, { config: { ...config, epochs: 1 } });
  const warnings: string[] = [];
  const adapters = ["GPU A", "GPU A", "GPU B"];
  await Promise.all(
    adapters.map((adapter, rank) =>
      worker(job.server.url, { rank, backend: pretendGpu(adapter), warn: (w) => warnings.push(w) })
    ),
  );
  assert.deepEqual(warnings.sort(), [
    'warning: rank 0 shares adapter "GPU A" with rank 1 on 127.0.0.1; give each worker its own ' +
    "GPU (NVIDIA_VISIBLE_DEVICES or MESA_VK_DEVICE_SELECT, see docs/cluster.md)",
    'warning: rank 1 shares adapter "GPU A" with rank 0 on 127.0.0.1; give each worker its own ' +
    "GPU (NVIDIA_VISIBLE_DEVICES or MESA_VK_DEVICE_SELECT, see docs/cluster.md)",
  ]);
});

const never = () => new Promise<never>(() => {});

Deno.test("runWorker: a worker whose coordinator vanishes gives up after the heartbeat timeout", async () => {
  await using job = startCoordinator(1, { settings: { heartbeatTimeoutMs: 300 } });
  const running = worker(job.server.url, { loadData: never });
  await waitFor("the rendezvous", () => job.coordinator.phase === "training");
  await job.server.shutdown();
  const started = performance.now();
  await assert.rejects(running, (e: unknown) => {
    assert.ok(e instanceof CoordinatorError, String(e));
    assert.match(
      e.message,
      /^coordinator http:\/\/127\.0\.0\.1:\d+ \(rank 0, step 0\): unreachable for [\d.]+ s: /,
    );
    return true;
  });
  const waited = performance.now() - started;
  assert.ok(waited < 3000, `gave up after ${waited} ms`);
});

Deno.test("runWorker: every rank stops when the coordinator reports the job failed", async () => {
  await using job = startCoordinator(2, { settings: { heartbeatTimeoutMs: 2000 } });
  const running = [0, 1].map((rank) => worker(job.server.url, { rank, loadData: never }));
  await waitFor("the rendezvous", () => job.coordinator.phase === "training");
  job.coordinator.fail({ rank: 1, step: 4, message: "injected failure" });
  const outcomes = await Promise.allSettled(running);
  for (const [rank, outcome] of outcomes.entries()) {
    assert.equal(outcome.status, "rejected");
    const error = (outcome as PromiseRejectedResult).reason;
    assert.ok(error instanceof JobAbortedError, String(error));
    assert.equal(
      error.message,
      `rank ${rank}, step 0: job aborted: rank 1 (127.0.0.1), step 4: injected failure`,
    );
  }
});

Deno.test("runWorker: a WORLD_SIZE that disagrees with the job fails the worker and the job", async () => {
  await using job = startCoordinator(1);
  await assert.rejects(
    worker(job.server.url, { world: 3 }),
    (e: unknown) =>
      e instanceof UsageError && e.message === "WORLD_SIZE: is 3, but the job has 1 ranks",
  );
  const error = await job.coordinator.settled;
  assert.equal(
    error?.message,
    "rank 0 (127.0.0.1), step 0: WORLD_SIZE: is 3, but the job has 1 ranks",
  );
});

Deno.test("planForTrainer: the trainer's flat gradient and, with sync-bn, its batch norm layers", () => {
  for (const viewAlignment of [1, 4, 64]) {
    const cpu = createCpuBackend();
    const backend: Backend = Object.create(cpu, { viewAlignment: { value: viewAlignment } });
    for (const model of ["784-8-10", "784-33-17-10"]) {
      const trainer = buildTrainer({ ...config, model }, backend);
      const plan = planForTrainer(trainer, 2, false);
      assert.equal(plan.length, trainer.flat.size);
      assert.equal(plan.buckets.at(-1)!.start, 0);
      assert.deepEqual(plan.syncBatchNorm, []);
    }
  }
  const stack = "conv(4,3),bn,relu,conv(6,3),bn,relu,gap,flatten,linear(10)";
  const data = { sampleShape: [1, 8, 8], classes: 10 };
  const trainer = buildTrainer({ ...config, model: stack, syncBn: true }, createCpuBackend(), data);
  assert.deepEqual(planForTrainer(trainer, 2, true).syncBatchNorm, [4, 6]);
  assert.deepEqual(planForTrainer(trainer, 2, false).syncBatchNorm, []);
});

Deno.test("a rank's ring endpoint takes exactly the chunks of its bucket plan", async () => {
  // 10 floats in buckets of 4, last first: [6, 10), [2, 6), [0, 2); then the metric sum
  // (bucket 3) and the checksum exchange (bucket 4), each split into 2 segments.
  const plan = new BucketPlan(10, 2, 4, 3);
  assert.deepEqual(plan.buckets, [
    { id: 0, start: 6, end: 10 },
    { id: 1, start: 2, end: 6 },
    { id: 2, start: 0, end: 2 },
  ]);
  assert.deepEqual([plan.sumBucket, plan.checksumBucket], [3, 4]);
  const server = serveRing({ token: TOKEN, chunkLengthFor: plan.chunkLengthFor(1) });
  const put = async (bucket: number, chunk: number, floats: number, from = 0) => {
    const res = await fetch(`${server.url}/v1/ring/1/${bucket}/${chunk}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}`, "x-gradmesh-rank": String(from) },
      body: new Uint8Array(4 * floats),
    });
    await res.body?.cancel();
    return res.status;
  };
  try {
    assert.equal(await put(0, 0, 2), 204);
    assert.equal(await put(2, 0, 1), 204);
    assert.equal(await put(3, 0, 3), 204); // sum: 8 floats per segment, chunks of 3
    assert.equal(await put(4, 0, 2), 204); // checksums: 2 floats per segment
    assert.equal(await put(0, 1, 3), 413);
    assert.equal(await put(1, 0, 1), 400);
    assert.equal(await put(5, 0, 1), 400); // no such bucket
    assert.equal(await put(0, 1, 2, 1), 400); // rank 1 never sends to itself
    assert.equal(server.mailbox.pending, 4);
  } finally {
    await server.shutdown();
  }
});

Deno.test("runWorker: rank 0 removes the temp files a killed checkpoint write left in the run folder", async () => {
  await using job = startCoordinator(2, { config: { ...config, epochs: 1 } });
  const stale = `${job.out}/.checkpoint.safetensors.0a1b2c3d.tmp`;
  await Deno.writeTextFile(stale, "torn");
  await Promise.all([0, 1].map((rank) => worker(job.server.url, { rank })));
  assert.equal(await job.coordinator.settled, null);
  await assert.rejects(() => Deno.stat(stale), Deno.errors.NotFound);
  await Deno.stat(`${job.out}/checkpoint.safetensors`);
});
