/**
 * Regression training end to end in one process: the linear model recovers the weights and
 * bias that `synthetic:linear` was drawn with, a sinc fit writes its metrics and curve, and
 * two ranks of a memory mesh (two targets per sample from CSV) train exactly as one process.
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { LINEAR_TRUTH } from "../../../core/data/synthetic.ts";
import { readMetrics } from "../../../core/metrics/jsonl.ts";
import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { fit, type FitResult } from "../../../core/train/fit.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";
import {
  CURVE_SAMPLES,
  type FitCurve,
  writeFitCurve,
} from "../../../core/train/regression_eval.ts";
import { loadTrainingData } from "../../../core/train/training_data.ts";
import { planForTrainer } from "../../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../../coordinator/job/fit_mesh.ts";
import { memoryMesh } from "../../../coordinator/transport/memory_link.ts";

const regression: TrainConfig = {
  ...defaultTrainConfig,
  task: "regression",
  loss: "mse",
  optimizer: "sgd",
  momentum: 0,
  weightDecay: 0,
};
const noFiles = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 20 };

Deno.test("regression: a linear model on synthetic:linear recovers w = [2, -3.4] and b = 4.2 to 1e-2", async () => {
  const config = {
    ...regression,
    data: "synthetic:linear",
    model: "2-1",
    lr: 0.03,
    batchSize: 10,
    epochs: 3,
  };
  const data = await loadTrainingData(config);
  const { trainer, final } = await fitConfig(config, createCpuBackend(), data, noFiles);
  const [w0, w1, b] = await trainer.flat.backend.read(trainer.flat.params);
  assert.ok(Math.abs(w0 - LINEAR_TRUTH.w[0]) < 1e-2, `w0 ${w0}`);
  assert.ok(Math.abs(w1 - LINEAR_TRUTH.w[1]) < 1e-2, `w1 ${w1}`);
  assert.ok(Math.abs(b - LINEAR_TRUTH.b) < 1e-2, `b ${b}`);
  // What is left is the noise: ε ~ N(0, 0.01²).
  assert.ok(final!.regression!.rmse < 0.02, `test rmse ${final!.regression!.rmse}`);
  assert.ok(final!.regression!.r2 > 0.9999, `test r2 ${final!.regression!.r2}`);
});

Deno.test("regression: a sinc fit writes regression metrics and its fitted curve", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-regression-" });
  try {
    const config = {
      ...regression,
      data: "synthetic:sinc",
      model: "1-32-1",
      activation: "tanh",
      optimizer: "adam" as const,
      lr: 0.01,
      batchSize: 32,
      epochs: 2,
    };
    const data = await loadTrainingData(config);
    await fitConfig(config, createCpuBackend(), data, {
      ...noFiles,
      metricsPath: `${dir}/metrics.jsonl`,
      curvePath: `${dir}/fit_curve.json`,
    });
    const records = await readMetrics(`${dir}/metrics.jsonl`);
    const last = records.at(-1)!;
    assert.equal(last.kind, "epoch");
    assert.ok(Number.isNaN(last.train_acc), "a regression record has no accuracy");
    if (last.kind !== "epoch") return;
    assert.ok(last.test_rmse! > 0 && last.test_rmse! ** 2 - last.test_mse! < 1e-9);
    for (const key of ["test_mae", "test_r2", "test_mape", "test_mbe"] as const) {
      assert.ok(Number.isFinite(last[key]), key);
    }
    const curve = JSON.parse(await Deno.readTextFile(`${dir}/fit_curve.json`)) as FitCurve;
    assert.equal(curve.grid.x.length, 200);
    assert.equal(curve.train.x.length, 800);
    assert.equal(curve.test.y.length, 200);
    assert.ok(curve.grid.x[0] >= -10 && curve.grid.x.at(-1)! <= 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regression: 2 ranks of a memory mesh train two-target CSV data exactly as one process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-regression-mesh-" });
  try {
    const rows = Array.from({ length: 120 }, (_, i) => {
      const a = Math.sin(i), b = Math.cos(3 * i), c = (i % 7) / 7;
      return [a, b, c, 2 * a - b + 0.5, a * c].map((v) => v.toFixed(5)).join(",");
    });
    await Deno.writeTextFile(`${dir}/d.csv`, `a,b,c,y1,y2\n${rows.join("\n")}\n`);
    const config = {
      ...regression,
      data: `csv:${dir}/d.csv`,
      target: "y1,y2",
      model: "3-8-2",
      loss: "huber",
      lr: 0.05,
      momentum: 0.9,
      batchSize: 15,
      epochs: 2,
      seed: 3,
    };
    const data = await loadTrainingData(config);
    assert.equal(data.train.targets, 2);
    const one = await fitConfig(config, createCpuBackend(), data, noFiles);
    const reference = await one.trainer.flat.backend.read(one.trainer.flat.params);
    const trainers = memoryMesh(2).map(() => buildTrainer(config, createCpuBackend(), data.train));
    const plan = planForTrainer(trainers[0], 2, false, 64);
    const results = await Promise.all(
      memoryMesh(2).map((link, rank) => {
        const trainer = trainers[rank], backend = trainer.flat.backend;
        const mesh = meshForFit(link, { rank, plan, backend, checksumEvery: 4 });
        return fit(trainer, config, data, { ...noFiles, mesh });
      }),
    );
    for (const { trainer } of results) {
      const params = await trainer.flat.backend.read(trainer.flat.params);
      const worst = params.reduce((m, p, i) => Math.max(m, Math.abs(p - reference[i])), 0);
      assert.ok(worst <= 1e-6, `largest difference ${worst}`);
    }
    assert.ok(results[0].final!.regression, "rank 0 measures the test split");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regression: a resumed run ends where an uninterrupted one does; a run with no curve removes a stale one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-regression-resume-" });
  try {
    const config = {
      ...regression,
      data: "synthetic:sinc",
      model: "1-8-1",
      loss: "log-cosh",
      lr: 0.05,
      batchSize: 50,
      epochs: 3,
    };
    const data = await loadTrainingData(config);
    const read = (r: FitResult) => r.trainer.flat.backend.read(r.trainer.flat.params);
    const straight = await read(await fitConfig(config, createCpuBackend(), data, noFiles));
    const checkpointPath = `${dir}/checkpoint.safetensors`;
    await fitConfig({ ...config, epochs: 2 }, createCpuBackend(), data, {
      ...noFiles,
      checkpointPath,
    });
    const resumed = await fitConfig(config, createCpuBackend(), data, {
      ...noFiles,
      checkpointPath,
      resume: checkpointPath,
    });
    assert.deepEqual(await read(resumed), straight);
    const curvePath = `${dir}/fit_curve.json`;
    await Deno.writeTextFile(curvePath, "{}\n");
    const linear = { ...regression, data: "synthetic:linear", model: "2-1", epochs: 1 };
    await fitConfig(linear, createCpuBackend(), await loadTrainingData(linear), {
      ...noFiles,
      curvePath,
    });
    await assert.rejects(() => Deno.stat(curvePath), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("regression: a fitted curve keeps at most CURVE_SAMPLES samples per split", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const count = 4500;
    const train = {
      images: Float32Array.from({ length: count }, (_, i) => i / count),
      labels: Float32Array.from({ length: count }, (_, i) => 2 * i / count),
      count,
      sampleShape: [1],
      classes: 1,
      targets: 1,
    };
    const config = { ...regression, model: "1-1" };
    const trainer = buildTrainer(config, createCpuBackend(), train);
    assert.ok(await writeFitCurve(path, trainer, { train, test: train }, config));
    const curve = JSON.parse(await Deno.readTextFile(path)) as FitCurve;
    // Every third sample: 4,500 / ceil(4,500 / 2,000).
    assert.equal(curve.train.x.length, 1500);
    assert.ok(curve.train.x.length <= CURVE_SAMPLES);
    assert.deepEqual([curve.train.x[1], curve.train.y[1]], [train.images[3], train.labels[3]]);
  } finally {
    await Deno.remove(path);
  }
});
