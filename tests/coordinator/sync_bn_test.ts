/**
 * `--sync-bn` end to end: ranks that sum their batch norm statistics across the mesh
 * train like one process on the whole batch (parameters and running statistics), also
 * when the epoch's last batch leaves a rank without samples; without the flag they do not.
 * Through the CLI, `train --workers 2 --sync-bn` does the same over HTTP, and the flag on
 * a model without batch norm is refused.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { readBuffers } from "../../core/checkpoint/module_state.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { loadDataset } from "../../core/data/source.ts";
import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { fit, type FitResult } from "../../core/train/fit.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import { planForTrainer } from "../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../coordinator/job/fit_mesh.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import type { ConcreteAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";
import { needsClusterCommands, relativeError, runMain, writeDigits } from "./job_fixtures.ts";

// Six steps of 16: the last holds 2 samples, so with 3 ranks rank 2 has none.
const BATCH = 16;
const TRAIN = 5 * BATCH + 2;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-sync-bn-" });
const spec = await writeDigits(dir, TRAIN, 40);
const data = await loadDataset(spec, { cache: false });
const config: TrainConfig = {
  ...defaultTrainConfig,
  data: spec,
  model: "conv(4,3,padding=1),bn,relu,maxpool(4),flatten,linear(16),bn,relu,linear(10)",
  epochs: 1,
  batchSize: BATCH,
  seed: 5,
  syncBn: true,
};
const ALGORITHMS: ConcreteAlgorithm[] = ["ring", "tree", "halving", "hier"];
/** The all-reduce of a test, with its ranks on two pretend hosts for hier. */
const collective = (algorithm: ConcreteAlgorithm, world: number) => ({
  algorithm,
  hosts: Array.from({ length: world }, (_, r) => "ab"[r % 2]),
});
const fitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 2 };

/** Parameters, then buffers (running statistics), as one vector. */
async function state(trainer: Trainer): Promise<Float32Array> {
  const params = await trainer.flat.backend.read(trainer.flat.params);
  const buffers = (await readBuffers(trainer.model)).flatMap((t) => [...t.data]);
  return Float32Array.from([...params, ...buffers]);
}

async function ranks(
  world: number,
  syncBn: boolean,
  on = data,
  algorithm: ConcreteAlgorithm = "ring",
): Promise<Float32Array[]> {
  const c = { ...config, syncBn };
  const trainers = memoryMesh(world).map(() => buildTrainer(c, createCpuBackend(), on.train));
  const plan = planForTrainer(
    trainers[0],
    world,
    syncBn,
    512,
    undefined,
    collective(algorithm, world),
  );
  // Every rank settles before the first failure is thrown: none is left unhandled.
  const settled = await Promise.allSettled(
    memoryMesh(world).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      return fit(trainer, c, on, {
        ...fitOptions,
        mesh: meshForFit(link, { rank, plan, backend }),
      });
    }),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const results = settled.map((r) => (r as PromiseFulfilledResult<FitResult>).value);
  return await Promise.all(results.map(({ trainer }) => state(trainer)));
}

const reference = await state(
  (await fitConfig(config, createCpuBackend(), data, fitOptions)).trainer,
);

for (const world of [2, 3]) {
  for (const algorithm of ALGORITHMS) {
    Deno.test(`sync-bn: ${world} ranks over a memory mesh (${algorithm} all-reduce) train like one process`, async () => {
      const all = await ranks(world, true, data, algorithm);
      const error = relativeError(all[0], reference);
      assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
      for (const other of all.slice(1)) {
        assert.ok(relativeError(other, all[0]) <= 1e-6, "every rank holds the same state");
      }
    });
  }
}

Deno.test("sync-bn: without it, 2 ranks normalise per shard: elsewhere, and 1 sample fails", async () => {
  // The 80 samples of the five full batches.
  const n = TRAIN - 2, size = 28 * 28;
  const train = {
    ...data.train,
    images: data.train.images.subarray(0, n * size),
    labels: data.train.labels.subarray(0, n),
    count: n,
  };
  const full = { ...data, train };
  const single = await state(
    (await fitConfig(config, createCpuBackend(), full, fitOptions)).trainer,
  );
  const [rank0] = await ranks(2, false, full);
  const error = relativeError(rank0, single);
  assert.ok(error > 1e-3, `relative error ${error.toExponential(2)}`);
  await assert.rejects(
    ranks(2, false),
    /BatchNorm1d: expected more than 1 value per channel when training, got 1 \(input shape \[1,16\]\)/,
  );
});

Deno.test({
  name: "sync-bn: `train --workers 2 --sync-bn` matches one process; a model without BN is refused",
  ...await needsClusterCommands(),
  async fn() {
    const args = [
      "train",
      "--backend=cpu",
      `--data=${spec}`,
      `--batch-size=${BATCH}`,
      "--epochs=1",
      "--seed=5",
      "--sync-bn",
    ];
    const out = `${dir}/cli`;
    const run = await runMain([...args, "--workers=2", `--model=${config.model}`, `--out=${out}`]);
    assert.equal(run.code, 0, run.stderr);
    const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
    const saved = Float32Array.from(checkpoint.params.flatMap((t) => [...t.data]));
    const error = relativeError(saved, reference);
    assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);

    const refused = await runMain([
      ...args,
      "--workers=2",
      "--model=784-16-10",
      `--out=${dir}/mlp`,
    ]);
    assert.equal(refused.code, 2);
    assert.equal(
      refused.stderr,
      "gradmesh train: --sync-bn: model 784-16-10 has no batch norm layer\n",
    );
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
