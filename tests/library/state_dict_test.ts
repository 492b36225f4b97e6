/**
 * Model and optimizer state dicts, `save`/`load`, and the optimizer classes' handling of
 * what they are built from: PyTorch keys, one-line errors naming the key, nothing written
 * when a state dict does not fit, and a checkpoint that `gradmesh train` can resume.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  Adam,
  BatchNorm1d,
  CheckpointError,
  createCpuBackend,
  defaultTrainConfig,
  fit,
  LBFGS,
  Linear,
  load,
  loadCheckpoint,
  optimizerClasses,
  optimizerRecords,
  ReLU,
  Rng,
  save,
  Sequential,
  SGD,
  UsageError,
} from "../../mod.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import { inTempDir } from "../temp_dir.ts";

const mlp = (seed: number) => {
  const rng = new Rng(seed);
  return new Sequential(
    new Linear(3, 4, rng),
    new BatchNorm1d(4),
    new ReLU(),
    new Linear(4, 2, rng),
  );
};

Deno.test("stateDict: PyTorch keys and shapes, before and after the model is on a backend", async () => {
  const model = mlp(0);
  const before = await model.stateDict();
  assert.deepEqual(Object.keys(before), [
    "0.weight",
    "0.bias",
    "1.weight",
    "1.bias",
    "3.weight",
    "3.bias",
    "1.running_mean",
    "1.running_var",
    "1.num_batches_tracked",
  ]);
  assert.deepEqual(before["3.weight"].shape, [2, 4]);
  model.to(createCpuBackend());
  assert.deepEqual(await model.stateDict(), before);
});

Deno.test("loadStateDict: copies another model's values, on a backend or not", async () => {
  const source = await mlp(1).stateDict();
  for (const onBackend of [false, true]) {
    const model = mlp(2);
    if (onBackend) model.to(createCpuBackend());
    model.loadStateDict(source);
    assert.deepEqual(await model.stateDict(), source);
  }
});

Deno.test("loadStateDict: a wrong shape, a missing or an unknown key names the key", async () => {
  const model = mlp(0).to(createCpuBackend());
  const good = await model.stateDict();
  const wrong = { ...good, "0.weight": { shape: [3, 4], data: new Float32Array(12) } };
  assert.throws(() => model.loadStateDict(wrong), (e: Error) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.message, "0.weight: expected shape [4,3], got [3,4] with 12 values");
    return true;
  });
  const { ["3.bias"]: _, ...missing } = good;
  assert.throws(() => model.loadStateDict(missing), /: 3\.bias: missing from the state dict$/);
  const extra = { ...good, "9.weight": good["0.weight"] };
  assert.throws(() => model.loadStateDict(extra), /9\.weight: the model has no such parameter/);
  model.loadStateDict(extra, { strict: false });
  assert.deepEqual(await model.stateDict(), good, "nothing changed");
});

Deno.test("optimizer classes: one per fused record, named as in PyTorch", () => {
  assert.deepEqual(
    Object.keys(optimizerClasses),
    optimizerRecords.map((r) => r.pytorch.replace("optim.", "")),
  );
  for (const [name, cls] of Object.entries(optimizerClasses)) assert.equal(cls.name, name);
});

Deno.test("optimizer classes: clear errors for unbound parameters and unknown options", () => {
  const model = mlp(0);
  assert.throws(() => new SGD(model.parameters()), /params: .*call model\.to\(backend\)/);
  model.to(createCpuBackend());
  assert.throws(
    () => new SGD(model.parameters(), { betas: [0.9, 0.99] }),
    /: betas: not an option of SGD; expected one of clip, lr, momentum/,
  );
  assert.throws(
    () => new Adam([{ params: model.parameters(), momentum: 0.9 }]),
    /: momentum: not an option of Adam \(param group 0\)/,
  );
  assert.throws(() => new LBFGS(model.parameters().slice(1)), /LBFGS updates every parameter/);
  const opt = new SGD(model.parameters().slice(0, 2), { lr: 0.5 });
  assert.deepEqual(opt.paramGroups[0].slots.map((s) => s.name), ["0.weight", "0.bias"]);
});

Deno.test("optimizer stateDict: round trip, and groups must match", async () => {
  const backend = createCpuBackend();
  const model = mlp(0).to(backend);
  const p = model.parameters();
  const opt = new Adam([{ params: p.slice(0, 2), lr: 0.1 }, { params: p.slice(2) }]);
  for (const g of model.parameters()) {
    backend.write(g.value.gradStorage!, new Float32Array(g.size).fill(0.5));
  }
  opt.step();
  const dict = await opt.stateDict();
  assert.equal(dict.step, 1);
  assert.deepEqual(dict.paramGroups.map((g) => [g.lr, g.params.length]), [[0.1, 2], [0.001, 4]]);
  assert.ok(dict.state["0.weight.exp_avg"].data.every((v) => Math.abs(v - 0.05) < 1e-7));
  const other = new Adam([{ params: p.slice(0, 2) }, { params: p.slice(2) }]);
  other.loadStateDict(dict);
  assert.deepEqual(await other.stateDict(), dict);
  assert.throws(() => new Adam(p).loadStateDict(dict), /paramGroups: expected groups/);
});

Deno.test("save/load: model and optimizer round trip in train's checkpoint format", async () => {
  await inTempDir(async (dir) => {
    const path = join(dir, "model.safetensors");
    const backend = createCpuBackend();
    const model = mlp(0).to(backend);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    for (const g of model.parameters()) {
      backend.write(g.value.gradStorage!, new Float32Array(g.size).fill(1));
    }
    opt.step();
    await save(path, model, { optimizer: opt, epoch: 3, config: { model: "custom" } });
    const ckpt = await loadCheckpoint(path);
    assert.deepEqual([ckpt.epoch, ckpt.step, ckpt.config], [3, 1, { model: "custom" }]);
    assert.ok(ckpt.optimizer.some((t) => t.name === "optim.0.weight.momentum_buffer"));

    const copy = mlp(5).to(createCpuBackend());
    const copyOpt = new SGD(copy.parameters(), { lr: 0.1, momentum: 0.9 });
    await load(path, copy, copyOpt);
    assert.deepEqual(await copy.stateDict(), await model.stateDict());
    assert.deepEqual((await copyOpt.stateDict()).state, (await opt.stateDict()).state);
    assert.equal(copyOpt.stepCount, 1);

    const smaller = new Sequential(new Linear(3, 2, new Rng(0)));
    await assert.rejects(() => load(path, smaller), (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /model\.safetensors: 0\.weight: expected shape \[2,3\], got \[4,3\]/);
      return true;
    });
  });
});

// A made-up 3-class problem on 5 features, and the model `train --model 5-8-3` builds.
function tinySplit() {
  const rng = new Rng(3);
  const images = Float32Array.from({ length: 48 * 5 }, () => rng.normal());
  const labels = Float32Array.from({ length: 48 }, (_, i) => (images[5 * i] > 0 ? 1 : 0) + 1);
  const split = { images, labels, count: 48, sampleShape: [5], classes: 3 };
  return { train: split, test: split };
}
const tinyMlp = (seed = 9) => {
  const rng = new Rng(seed);
  return new Sequential(new Linear(5, 8, rng), new ReLU(), new Linear(8, 3, rng));
};

Deno.test("checkpoints: train's load into a user's model, and save()'s resume in fit", async () => {
  await inTempDir(async (dir) => {
    const data = tinySplit();
    const cliPath = join(dir, "cli.safetensors");
    const config = { ...defaultTrainConfig, model: "5-8-3", epochs: 1, batchSize: 16 };
    const { trainer } = await fitConfig(config, createCpuBackend(), data, {
      checkpointPath: cliPath,
      metricsPath: null,
      evalEvery: 1,
      logEvery: 1,
    });
    const mine = tinyMlp().to(createCpuBackend());
    const mineOpt = new SGD(mine.parameters(), { lr: config.lr, momentum: config.momentum });
    const ckpt = await load(cliPath, mine, mineOpt);
    assert.deepEqual([ckpt.epoch, ckpt.step, mineOpt.stepCount], [1, 3, 3]);
    assert.deepEqual(await mine.stateDict(), await trainer.model.stateDict());

    // A checkpoint that save() wrote after one epoch of fit resumes fit exactly.
    const whole = tinyMlp().to(createCpuBackend());
    await fit(whole, data, {
      epochs: 2,
      batchSize: 16,
      optimizer: new SGD(whole.parameters(), { lr: 0.1, momentum: 0.9 }),
    });
    const half = tinyMlp().to(createCpuBackend());
    const halfOpt = new SGD(half.parameters(), { lr: 0.1, momentum: 0.9 });
    await fit(half, data, { epochs: 1, batchSize: 16, optimizer: halfOpt });
    const libPath = join(dir, "lib.safetensors");
    await save(libPath, half, { optimizer: halfOpt, epoch: 1 });
    // Another initialisation: only the checkpoint can make it end where `whole` does.
    const resumed = tinyMlp(10).to(createCpuBackend());
    await fit(resumed, data, {
      epochs: 2,
      batchSize: 16,
      optimizer: new SGD(resumed.parameters(), { lr: 0.1, momentum: 0.9 }),
      resume: libPath,
    });
    assert.deepEqual(await resumed.stateDict(), await whole.stateDict());
  });
});
