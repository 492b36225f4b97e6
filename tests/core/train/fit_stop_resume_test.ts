/**
 * Step checkpoints and early stops: a run stopped mid-epoch and resumed from its newest
 * step checkpoint ends with the uninterrupted run's parameters bit for bit (dropout, a
 * per-step scheduler and momentum included), and only the newest K step files stay.
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../../core/checkpoint/checkpoint.ts";
import { newestCheckpoint } from "../../../core/checkpoint/series.ts";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { strided } from "./strided.ts";
import { defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import type { FitOptions } from "../../../core/train/fit.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";

const mnist = await loadDataset("mnist");

const data = { train: strided(mnist.train, 20), test: strided(mnist.test, 20) }; // 400 / 100
const config: TrainConfig = {
  ...defaultTrainConfig,
  model: "784-16-10",
  dropout: 0.2,
  epochs: 2,
  batchSize: 32, // 13 steps per epoch, the last one short
  scheduler: "one-cycle-lr",
  schedulerArgs: '{"max_lr": 0.1}',
};

async function train(out: string, extra: Partial<FitOptions> = {}) {
  await Deno.mkdir(out, { recursive: true });
  const result = await fitConfig(config, createCpuBackend(), data, {
    checkpointPath: `${out}/checkpoint.safetensors`,
    metricsPath: `${out}/metrics.jsonl`,
    evalEvery: 1,
    logEvery: 5,
    ...extra,
  });
  const { flat } = result.trainer;
  return { result, params: await flat.backend.read(flat.params) };
}

Deno.test("a run stopped mid-epoch twice and resumed each time ends bitwise equal to an uninterrupted one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const whole = await train(`${dir}/whole`);
    assert.equal(whole.result.stoppedAt, null);
    const out = `${dir}/stopped`;
    let steps = 0;
    const stopAfter = (n: number) => () => ++steps === n;
    const first = await train(out, { stopRequested: stopAfter(4) });
    assert.equal(first.result.stoppedAt, 4);
    assert.equal(first.result.final, null);
    assert.equal(first.result.epochs.length, 0);
    const newest = await newestCheckpoint(out);
    assert.equal(newest?.step, 4);
    assert.deepEqual((await loadCheckpoint(newest!.path)).epochProgress?.steps, 4);
    steps = 0;
    const second = await train(out, { resume: newest!.path, stopRequested: stopAfter(12) });
    assert.equal(second.result.stoppedAt, 16);
    const resumed = await train(out, { resume: (await newestCheckpoint(out))!.path });
    assert.equal(resumed.result.stoppedAt, null);
    assert.deepEqual(resumed.params, whole.params);
    assert.equal(resumed.result.final!.loss, whole.result.final!.loss);
    // The epoch sums saved mid-epoch make the epoch's training loss the uninterrupted one's
    // (up to float32 rounding: the read-back windows differ); without them it would be the
    // mean of the last 9 steps only.
    const [a, b] = [second.result.epochs[0].train, whole.result.epochs[0].train];
    assert.equal(a.count, b.count);
    assert.ok(Math.abs(a.loss - b.loss) < 1e-6 * b.loss, `${a.loss} vs ${b.loss}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpointEvery writes step checkpoints, keeps the newest K, and checkpoint.safetensors is the newest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await train(dir, { checkpointEvery: 3, keepCheckpoints: 2 });
    const names = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name).sort();
    // Steps 3, 6, 9, 12, 13 (epoch end), 15, …, 24, 26 (epoch end): the newest two stay.
    assert.deepEqual(names, ["step-00000024.safetensors", "step-00000026.safetensors"]);
    const latest = await Deno.readFile(`${dir}/checkpoint.safetensors`);
    assert.deepEqual(latest, await Deno.readFile(`${dir}/checkpoints/${names[1]}`));
    const mid = await loadCheckpoint(`${dir}/checkpoints/${names[0]}`);
    assert.equal(mid.epoch, 1);
    assert.equal(mid.epochProgress?.steps, 11);
    assert.equal((await loadCheckpoint(`${dir}/checkpoint.safetensors`)).epochProgress, undefined);
    const leftovers = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp"));
    assert.deepEqual(leftovers, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
