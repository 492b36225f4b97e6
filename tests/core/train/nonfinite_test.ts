/**
 * Divergence: the device flag that marks NaN and ±∞ (`Backend.markNonFinite`) on every
 * backend, the watch that names the first step and parameter, `skip-step` leaving
 * parameters and optimizer state as they were (in one process and on every rank of an
 * in-memory mesh), and `fit` stopping before a checkpoint with a NaN in it is written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { NonFiniteError } from "../../../core/errors.ts";
import { readMetrics } from "../../../core/metrics/jsonl.ts";
import type { Optimizer } from "../../../core/optim/optimizer.ts";
import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { fit, type FitOptions } from "../../../core/train/fit.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";
import { planForTrainer } from "../../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../../coordinator/job/fit_mesh.ts";
import { memoryMesh } from "../../../coordinator/transport/memory_link.ts";
import { inTempDir } from "../../temp_dir.ts";
import { backendsUnderTest } from "../backends.ts";
import { backendTest, runnableBackends } from "../golden.ts";

const backends = await backendsUnderTest();

for (const bt of runnableBackends("nonfinite", backends)) {
  backendTest(
    bt,
    `markNonFinite ${bt.name}: first NaN or ±Inf index, split exactly; first mark kept`,
    async (b) => {
      const n = 200_000;
      const host = new Float32Array(n).map((_, i) => Math.sin(i) * 1e30);
      const x = b.upload(host);
      const flag = b.zeros(3);
      b.markNonFinite(flag, x, 7);
      assert.deepEqual([...await b.read(flag)], [0, 0, 0], "all finite: the flag stays clear");
      for (
        const [at, value] of [[150_001, NaN], [70_000, -Infinity], [131_072, Infinity]] as const
      ) {
        host[at] = value;
        const fresh = b.zeros(3);
        b.markNonFinite(fresh, b.upload(Float32Array.of(...host.subarray(at - 5, at + 5))), 1);
        assert.deepEqual([...await b.read(fresh)], [1, 0, 5], `${value} in a short storage`);
      }
      b.markNonFinite(flag, b.upload(host), 9);
      // 70,000 = 1·65536 + 4464: the first non-finite element, not the last written.
      assert.deepEqual([...await b.read(flag)], [9, 1, 4464]);
      b.markNonFinite(flag, b.upload(Float32Array.of(NaN)), 12);
      assert.deepEqual([...await b.read(flag)], [9, 1, 4464], "a set flag keeps its first mark");
      const view = b.view(b.upload(host), 131_072, 100);
      const viewFlag = b.zeros(3);
      b.markNonFinite(viewFlag, view, 3);
      assert.deepEqual([...await b.read(viewFlag)], [3, 0, 0], "indices count from the view");
    },
  );
}

const config: TrainConfig = {
  ...defaultTrainConfig,
  model: "784-16-10",
  batchSize: 8,
  epochs: 1,
  seed: 3,
};
const mnist = await loadDataset("mnist");
const batchOf = (ds: Dataset, first: number, rows: number) => ({
  x: ds.images.slice(first * 784, (first + rows) * 784),
  y: ds.labels.slice(first, first + rows),
  rows,
});

Deno.test("watch: names the step and the first parameter whose gradient, or value, is not finite", async () => {
  const trainer = buildTrainer(config, createCpuBackend());
  const { flat } = trainer;
  const watch = trainer.watchNonFinite("stop", 40);
  await trainer.checkNonFinite();
  const grads = await flat.backend.read(flat.grads);
  const [w0, , w1] = flat.slots;
  grads[w1.offset + 33] = Infinity;
  grads[w1.offset + 34] = NaN;
  flat.backend.write(flat.grads, grads);
  watch.startStep();
  assert.equal(await watch.gradientsFinite(), true, "stop applies every update");
  await assert.rejects(
    () => trainer.checkNonFinite(),
    (e) =>
      e instanceof NonFiniteError &&
      e.message.startsWith("non-finite at step 41: the gradient of 2.weight[33] is NaN or ±Inf") &&
      e.message.includes("stopped at step 41 before writing a checkpoint"),
  );
  // 0.weight of 784-128-10 has 100,352 elements: 70,000 needs both halves of the flag.
  const values = buildTrainer({ ...config, model: "784-128-10" }, createCpuBackend());
  values.watchNonFinite("stop", 0);
  const params = await values.flat.backend.read(values.flat.params);
  params[w0.offset + 70_000] = -Infinity;
  values.flat.backend.write(values.flat.params, params);
  await assert.rejects(
    () => values.checkNonFinite(),
    /^NonFiniteError: non-finite at step 0: the value of 0\.weight\[70000\] is NaN or ±Inf/,
  );
  // With skip-step a non-finite value still stops the run; the remedy no longer names it.
  values.watchNonFinite("skip-step", 0);
  await assert.rejects(() => values.checkNonFinite(), /\(lower --lr or clip gradients\)$/);
});

for (
  const [bt, optimizer] of runnableBackends("skip-step", backends).flatMap((bt) =>
    (["sgd", "adam"] as const).map((o) => [bt, o] as const)
  )
) {
  backendTest(
    bt,
    `skip-step ${bt.name} (${optimizer}): a NaN batch leaves parameters, optimizer state, step count and metrics as they were`,
    async (backend) => {
      const trainer = buildTrainer({ ...config, optimizer, lr: 0.01, weightDecay: 0.1 }, backend);
      const watch = trainer.watchNonFinite("skip-step", 0);
      const opt = trainer.optimizer as Optimizer;
      const { flat } = trainer;
      const state = async () => ({
        params: [...await flat.backend.read(flat.params)],
        optim: (await opt.stateSlices()).map((s) => [s.name, [...s.data]]),
        steps: opt.stepCount,
      });
      await trainer.step(batchOf(mnist.train, 0, 8), 8);
      const before = await state();
      const bad = batchOf(mnist.train, 8, 8);
      bad.x[5 * 784 + 300] = NaN;
      await trainer.step(bad, 8);
      assert.deepEqual(await state(), before, "the NaN step changed nothing");
      assert.equal(watch.skipped, 1);
      const metrics = await trainer.takeTrainMetrics();
      assert.equal(metrics.count, 8, "only the finite step counts in the metrics");
      assert.ok(Number.isFinite(metrics.loss));
      await trainer.step(batchOf(mnist.train, 16, 8), 8);
      assert.equal(opt.stepCount, 2);
      assert.notDeepEqual((await state()).params, before.params, "the next finite step updates");
      await trainer.checkNonFinite();
    },
  );
}

Deno.test("skip-step: refused for L-BFGS, which evaluates each batch many times", () => {
  const trainer = buildTrainer({ ...config, optimizer: "lbfgs" }, createCpuBackend());
  assert.throws(() => trainer.watchNonFinite("skip-step", 0), /onNonFinite: skip-step needs/);
});

// 25 steps of 8 from 200 digits; one pixel of sample 43 is NaN, so whichever step the
// shuffle puts it in has a NaN gradient.
function withNaNSample(): { train: Dataset; test: Dataset } {
  const train = { ...mnist.train, count: 200, images: mnist.train.images.slice(0, 200 * 784) };
  train.labels = mnist.train.labels.slice(0, 200);
  train.images[43 * 784 + 400] = NaN;
  return { train, test: { ...mnist.test, count: 50 } };
}
const quiet: FitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 5 };

Deno.test("skip-step over a 2-rank memory mesh: both ranks drop the NaN step, agree bitwise and match one process", async () => {
  const data = withNaNSample();
  const skip = { ...config, onNonFinite: "skip-step" as const };
  const single = await fitConfig(skip, createCpuBackend(), data, quiet);
  const trainers = [0, 1].map(() => buildTrainer(skip, createCpuBackend(), data.train));
  const plan = planForTrainer(trainers[0], 2, false, 4000);
  const ranks = await Promise.all(
    memoryMesh(2).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      const mesh = meshForFit(link, { rank, plan, backend, checksumEvery: 5 });
      return fit(trainer, skip, data, { ...quiet, mesh });
    }),
  );
  const read = (r: typeof single) => r.trainer.flat.backend.read(r.trainer.flat.params);
  const [p0, p1, ps] = await Promise.all([read(ranks[0]), read(ranks[1]), read(single)]);
  assert.deepEqual(p1, p0, "both ranks hold the same parameters");
  for (const r of [single, ...ranks]) {
    assert.equal((r.trainer.optimizer as Optimizer).stepCount, 24);
    assert.equal(r.epochs[0].skippedSteps, 1);
    assert.equal(r.epochs[0].train.count, 192, "the dropped step's 8 samples count nowhere");
  }
  assert.ok(p0.every(Number.isFinite));
  const error = Math.hypot(...p0.map((v, i) => v - ps[i])) / Math.hypot(...ps);
  assert.ok(error < 1e-5, `relative error to one process ${error}`);
});

Deno.test("stop over a 2-rank memory mesh: every rank stops naming the step; rank 0 logs the loss as NaN, not 0", () =>
  inTempDir(async (dir) => {
    const data = withNaNSample();
    const trainers = [0, 1].map(() => buildTrainer(config, createCpuBackend(), data.train));
    const plan = planForTrainer(trainers[0], 2, false, 4000);
    const results = await Promise.allSettled(
      memoryMesh(2).map((link, rank) => {
        const trainer = trainers[rank], backend = trainer.flat.backend;
        const mesh = meshForFit(link, { rank, plan, backend, checksumEvery: 5 });
        const checkpointPath = `${dir}/c${rank}.safetensors`;
        const metricsPath = `${dir}/m${rank}.jsonl`;
        return fit(trainer, config, data, { ...quiet, checkpointPath, metricsPath, mesh });
      }),
    );
    const reasons = results.map((r) => r.status === "rejected" ? String(r.reason) : "fulfilled");
    assert.match(reasons[0], /^NonFiniteError: non-finite at step \d+: the gradient of 0\.weight/);
    assert.equal(reasons[1], reasons[0]);
    const records = await readMetrics(`${dir}/m0.jsonl`);
    assert.ok(records.some((r) => Number.isNaN(r.train_loss)), JSON.stringify(records));
    const written = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(written, ["m0.csv", "m0.jsonl", "m1.csv", "m1.jsonl"], "no checkpoint");
  }));

Deno.test("fit --lr 1e6: stops with the step and parameter, leaving the last good checkpoint as it was", () =>
  inTempDir(async (dir) => {
    const data = { train: mnist.train, test: { ...mnist.test, count: 100 } };
    const checkpointPath = `${dir}/c.safetensors`;
    const options = { ...quiet, checkpointPath, logEvery: 50 };
    await fitConfig({ ...config, batchSize: 64, lr: 0.05 }, createCpuBackend(), data, options);
    const good = await Deno.readFile(checkpointPath);
    await assert.rejects(
      () =>
        fitConfig({ ...config, batchSize: 64, lr: 1e6, epochs: 2 }, createCpuBackend(), data, {
          ...options,
          resume: checkpointPath,
        }),
      /^NonFiniteError: non-finite at step 1(2[6-9]|[3-9]\d): the gradient of 0\.weight\[\d+\] is NaN/,
    );
    assert.deepEqual(await Deno.readFile(checkpointPath), good);
  }));
