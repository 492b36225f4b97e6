/**
 * `--scheduler` inside `fit`: the lr each epoch trains with follows PyTorch's sequence
 * (tests/fixtures/catalog_golden.json), a resumed run continues the schedule exactly, and
 * bad names and arguments are usage errors naming the flag.
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { UsageError } from "../../../core/errors.ts";
import { readMetrics } from "../../../core/metrics/jsonl.ts";
import { defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";
import { runSchedule } from "../../../core/train/schedule.ts";

const golden = JSON.parse(
  await Deno.readTextFile(new URL("../../fixtures/catalog_golden.json", import.meta.url)),
) as { schedulers: { name: string; lrs: number[] }[] };
const lrsOf = (name: string) => golden.schedulers.find((c) => c.name === name)!.lrs;

// 64 samples of 4 features in 2 separable classes: 4 steps of 16 per epoch.
const data: Dataset = {
  count: 64,
  sampleShape: [4],
  classes: 2,
  images: Float32Array.from({ length: 256 }, (_, i) => ((i * 7919) % 13) / 13 - (i >> 7)),
  labels: Float32Array.from({ length: 64 }, (_, i) => i >> 5),
};

async function epochLrs(config: Partial<TrainConfig>, dir: string, resume?: string) {
  await Deno.mkdir(dir, { recursive: true });
  await fitConfig(
    { ...defaultTrainConfig, model: "4-3-2", batchSize: 16, lr: 0.1, ...config },
    createCpuBackend(),
    { train: data, test: data },
    {
      checkpointPath: `${dir}/checkpoint.safetensors`,
      metricsPath: `${dir}/metrics.jsonl`,
      evalEvery: 1,
      logEvery: 1,
      resume,
    },
  );
  const records = await readMetrics(`${dir}/metrics.jsonl`);
  return {
    epochs: records.filter((r) => r.kind === "epoch").map((r) => r.lr),
    steps: records.filter((r) => r.kind === "step").map((r) => r.lr),
  };
}

const close = (actual: number[], expected: number[], label: string) => {
  assert.equal(actual.length, expected.length, label);
  actual.forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected[i]) <= 1e-12 + 1e-9 * expected[i],
      `${label}[${i}]: ${a} vs ${expected[i]}`,
    )
  );
};

Deno.test("schedule: each epoch trains with PyTorch's lr; a resumed run continues it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cosine = {
      scheduler: "cosine-annealing-lr",
      schedulerArgs: '{"T_max": 10, "eta_min": 0.001}',
    };
    const whole = await epochLrs({ ...cosine, epochs: 5 }, `${dir}/whole`);
    close(
      whole.epochs,
      lrsOf("CosineAnnealingLR T_max 10 eta_min 1e-3 (wraps)").slice(0, 5),
      "cosine",
    );
    await epochLrs({ ...cosine, epochs: 2 }, `${dir}/parts`);
    const resumed = await epochLrs(
      { ...cosine, epochs: 5 },
      `${dir}/parts`,
      `${dir}/parts/checkpoint.safetensors`,
    );
    close(resumed.epochs, whole.epochs, "resumed cosine");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schedule: one-cycle-lr advances every step; plateau resumes from the logged losses", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const oneCycle = await epochLrs({
      scheduler: "one-cycle-lr",
      schedulerArgs: '{"max_lr": 1, "base_momentum": 0.8, "max_momentum": 0.9}',
      epochs: 5,
    }, `${dir}/cycle`);
    // 4 steps per epoch: the lr rises for 30% of the 20 steps, then falls.
    assert.equal(oneCycle.steps.length, 20);
    assert.equal(new Set(oneCycle.steps).size, 20);
    assert.equal(oneCycle.steps.indexOf(Math.max(...oneCycle.steps)), 5);
    // The loss falls, so in "max" mode every epoch after the first is a bad one: the cut
    // after epoch 3 counts the bad epoch 2, from before the resume.
    const plateau = {
      scheduler: "reduce-lr-on-plateau",
      schedulerArgs: '{"mode": "max", "patience": 1, "factor": 0.5}',
    };
    const whole = await epochLrs({ ...plateau, epochs: 5 }, `${dir}/p-whole`);
    close(whole.epochs, [0.1, 0.1, 0.1, 0.05, 0.05], "plateau");
    await epochLrs({ ...plateau, epochs: 2 }, `${dir}/p-parts`);
    const resumed = await epochLrs(
      { ...plateau, epochs: 5 },
      `${dir}/p-parts`,
      `${dir}/p-parts/checkpoint.safetensors`,
    );
    close(resumed.epochs, whole.epochs, "resumed plateau");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("schedule: bad names and arguments are usage errors naming the flag", async () => {
  const config = { ...defaultTrainConfig };
  const cases: [Partial<TrainConfig>, string][] = [
    [{ scheduler: "cosine" }, "scheduler: expected none or one of step-lr"],
    [{ scheduler: "step-lr" }, 'schedulerArgs: step-lr needs "step_size"'],
    [
      { scheduler: "step-lr", schedulerArgs: "step_size=3" },
      "schedulerArgs: expected a JSON object",
    ],
    [{ scheduler: "step-lr", schedulerArgs: '{"step": 3}' }, 'step-lr has no argument "step"'],
  ];
  for (const [c, message] of cases) {
    await assert.rejects(
      runSchedule({ ...config, ...c }, { lr: 0.1 }, 10),
      (e) => e instanceof UsageError && e.message.includes(message),
      message,
    );
  }
});
