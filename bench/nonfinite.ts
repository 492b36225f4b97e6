/**
 * `deno run -A bench/nonfinite.ts [--write]`: what catching divergence costs a training step
 * of the default configuration (MLP 784-128-10, SGD, batch 64, bundled MNIST), on the CPU
 * backend and on WebGPU where an adapter exists. The peer is the same step without the
 * watch, in the same process: three trainers (no watch, `--on-nonfinite stop`, `skip-step`)
 * take turns for blocks of 10 steps, and each block's ms per step is divided by the
 * unwatched block beside it, so load on the machine affects both sides of each ratio alike.
 * With `--write`, records the table in bench/RESULTS.md.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { loadDataset } from "../core/data/source.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import type { NonFinitePolicy } from "../core/train/nonfinite.ts";
import type { HostBatch, Trainer } from "../core/train/trainer.ts";
import { chooseBackend } from "../backends/backend_choice.ts";
import { machineLine, replaceSection } from "./results.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 40);
const BLOCK = 10;
const BATCH = defaultTrainConfig.batchSize;

const data = await loadDataset("mnist");
const batches: HostBatch[] = Array.from({ length: BLOCK }, (_, s) => ({
  x: data.train.images.slice(s * BATCH * 784, (s + 1) * BATCH * 784),
  y: data.train.labels.slice(s * BATCH, (s + 1) * BATCH),
  rows: BATCH,
}));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Median ms per step of each variant and median per-round ratio to the unwatched step. */
async function measure(make: () => Promise<Backend>) {
  const variants: [string, NonFinitePolicy | null][] = [
    ["none", null],
    ["stop", "stop"],
    ["skip-step", "skip-step"],
  ];
  const trainers: [string, Trainer, Backend][] = [];
  for (const [name, policy] of variants) {
    const backend = await make();
    const trainer = buildTrainer(defaultTrainConfig, backend);
    if (policy) trainer.watchNonFinite(policy, 0);
    trainers.push([name, trainer, backend]);
  }
  const ms = new Map(variants.map(([name]) => [name, [] as number[]]));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, trainer] of trainers) {
        const t0 = performance.now();
        for (const batch of batches) await trainer.step(batch, BATCH);
        await trainer.takeTrainMetrics();
        ms.get(name)!.push((performance.now() - t0) / BLOCK);
      }
    }
  } finally {
    for (const [, , backend] of trainers) backend.destroy();
  }
  // The first rounds warm the JIT and compile kernels.
  const warm = (name: string) => ms.get(name)!.slice(Math.min(5, ROUNDS >> 2));
  const plain = warm("none");
  return variants.map(([name]) => ({
    name,
    msPerStep: median(warm(name)),
    ratio: median(warm(name).map((v, i) => v / plain[i])),
  }));
}

const load = Deno.loadavg()[0].toFixed(1);
const rows: string[] = [];
for (const kind of ["cpu", "webgpu"] as const) {
  let description: string;
  try {
    const probe = await chooseBackend(kind);
    description = `${probe.backend.name} (${probe.backend.description})`;
    probe.backend.destroy();
  } catch (e) {
    console.log(`${kind}: skipped (${(e as Error).message})`);
    continue;
  }
  for (const r of await measure(async () => (await chooseBackend(kind)).backend)) {
    const row = `| ${description} | ${r.name} | ${r.msPerStep.toFixed(3)} | ${
      r.ratio.toFixed(3)
    } |`;
    console.log(row);
    rows.push(row);
  }
}

if (Deno.args.includes("--write")) {
  const head = machineLine("deno run -A bench/nonfinite.ts --write");
  await replaceSection(
    "nonfinite",
    `## Divergence watch: cost per training step (nonfinite)\n\n${head}\n\n` +
      "MLP 784-128-10, SGD, batch 64; median of " +
      `${ROUNDS} alternating blocks of ${BLOCK} steps; ratio: median per-block ms per step over ` +
      `the unwatched trainer's block beside it. Load average at the start: ${load}. \`stop\` ` +
      "reads nothing back per step (its cost is one pass over the gradient); `skip-step` reads " +
      "3 floats back after every step, free on the CPU backend and one `mapAsync` on WebGPU, " +
      "whose wait has a multi-millisecond floor in Deno.\n\n" +
      "| backend | --on-nonfinite | ms per step | ratio to no watch |\n| --- | --- | --- | --- |\n" +
      rows.join("\n") + "\n",
  );
}
