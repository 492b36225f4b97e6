import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { UsageError } from "../../../core/errors.ts";
import { defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { requireOneProcessFor } from "../../../core/train/fit.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";

// 64 samples of 4 features in 2 classes.
const data: Dataset = {
  count: 64,
  sampleShape: [4],
  classes: 2,
  images: Float32Array.from({ length: 256 }, (_, i) => ((i * 7919) % 13) / 13 - (i >> 7)),
  labels: Float32Array.from({ length: 64 }, (_, i) => i >> 5),
};
const config: TrainConfig = {
  ...defaultTrainConfig,
  model: "4-8-2",
  optimizer: "lbfgs",
  lr: 1,
  optimizerArgs: { maxIter: 10, lineSearchFn: "strong_wolfe" },
  batchSize: 64,
  epochs: 3,
};

Deno.test("train with lbfgs: each full-batch step re-evaluates the closure and the loss falls", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const options = {
      checkpointPath: `${dir}/c.safetensors`,
      metricsPath: null,
      evalEvery: 1,
      logEvery: 1,
    };
    const result = await fitConfig(
      config,
      createCpuBackend(),
      { train: data, test: data },
      options,
    );
    const losses = result.epochs.map((e) => e.train.loss);
    assert.ok(losses[2] < 0.5 * losses[0], `losses ${losses}`);
    assert.ok(result.final!.accuracy >= 0.9, `accuracy ${result.final!.accuracy}`);
    await assert.rejects(
      fitConfig(config, createCpuBackend(), { train: data, test: data }, {
        ...options,
        resume: options.checkpointPath,
      }),
      (e) => e instanceof UsageError && /^resume: an L-BFGS run cannot continue/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lbfgs is refused across processes, with one line naming --optimizer", () => {
  requireOneProcessFor(config, 1);
  requireOneProcessFor({ ...config, optimizer: "sgd" }, 4);
  assert.throws(
    () => requireOneProcessFor(config, 2),
    (e) => e instanceof UsageError && /^optimizer: lbfgs trains in one process/.test(e.message),
  );
});
