/**
 * Dropout across ranks end to end: each rank's masks are its slice of the masks one
 * process draws for the whole global batch, so 2 and 3 ranks over a memory mesh train
 * like one process (parameters and every dropout layer's seed and offset), also when the
 * epoch's last batch leaves a rank without samples, and when a run resumes on 3 ranks
 * from a 2-rank checkpoint; for an MLP with `--dropout` and a stack with `dropout2d` and
 * `dropout`.
 *
 * @module
 */

import assert from "node:assert/strict";
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
import { relativeError, writeDigits } from "./job_fixtures.ts";

// Six steps of 16 per epoch: the last holds 2 samples, so with 3 ranks rank 2 has none.
const BATCH = 16;
const TRAIN = 5 * BATCH + 2;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-dropout-shards-" });
const spec = await writeDigits(dir, TRAIN, 20);
const data = await loadDataset(spec, { cache: false });
const ALGORITHMS: ConcreteAlgorithm[] = ["ring", "tree", "halving", "hier"];
/** The all-reduce of a test, with its ranks on two pretend hosts for hier. */
const collective = (algorithm: ConcreteAlgorithm, world: number) => ({
  algorithm,
  hosts: Array.from({ length: world }, (_, r) => "ab"[r % 2]),
});
const fitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 2, logEvery: 2 };

const models: Record<string, TrainConfig> = {
  "an MLP with --dropout 0.3": {
    ...defaultTrainConfig,
    data: spec,
    model: "784-32-10",
    dropout: 0.3,
    epochs: 2,
    batchSize: BATCH,
    seed: 3,
  },
  "a stack with dropout2d and dropout": {
    ...defaultTrainConfig,
    data: spec,
    model: "conv(4,3,padding=1),relu,dropout2d(0.3),maxpool(4),flatten,linear(16),relu," +
      "dropout(0.2),linear(10)",
    epochs: 2,
    batchSize: BATCH,
    seed: 4,
  },
};

/** Parameters, and every dropout layer's extra state in module order. */
async function state(trainer: Trainer): Promise<{ params: Float32Array; streams: string }> {
  const params = await trainer.flat.backend.read(trainer.flat.params);
  const streams = trainer.model.namedModules()
    .map(([name, m]) => [name, m.extraState()])
    .filter(([, s]) => s !== null);
  return { params, streams: JSON.stringify(streams) };
}

/**
 * Every rank's state after `config` trained over an in-memory mesh of `world` ranks; rank
 * 0 writes `checkpoint` when given, and every rank starts from `resume` when given.
 */
async function ranks(
  config: TrainConfig,
  world: number,
  files: { checkpoint?: string; resume?: string } = {},
  algorithm: ConcreteAlgorithm = "ring",
) {
  const trainers = memoryMesh(world).map(() =>
    buildTrainer(config, createCpuBackend(), data.train)
  );
  const plan = planForTrainer(
    trainers[0],
    world,
    false,
    512,
    undefined,
    collective(algorithm, world),
  );
  // Every rank settles before the first failure is thrown: none is left unhandled.
  const settled = await Promise.allSettled(
    memoryMesh(world).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      return fit(trainer, config, data, {
        ...fitOptions,
        checkpointPath: rank === 0 ? files.checkpoint ?? null : null,
        resume: files.resume,
        mesh: meshForFit(link, { rank, plan, backend }),
      });
    }),
  );
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  const results = settled.map((r) => (r as PromiseFulfilledResult<FitResult>).value);
  return await Promise.all(results.map(({ trainer }) => state(trainer)));
}

for (const [what, config] of Object.entries(models)) {
  const reference = await state(
    (await fitConfig(config, createCpuBackend(), data, fitOptions)).trainer,
  );
  for (const world of [2, 3]) {
    for (const algorithm of ALGORITHMS) {
      Deno.test(`dropout shards: ${what} on ${world} ranks (${algorithm} all-reduce) trains like one process`, async () => {
        const all = await ranks(config, world, {}, algorithm);
        const error = relativeError(all[0].params, reference.params);
        assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
        for (const [rank, other] of all.entries()) {
          assert.ok(
            relativeError(other.params, all[0].params) <= 1e-6,
            `rank ${rank}'s parameters`,
          );
          assert.equal(
            other.streams,
            reference.streams,
            `rank ${rank}'s dropout seeds and offsets`,
          );
        }
      });
    }
  }
  Deno.test(`dropout shards: ${what}, 2 ranks' checkpoint resumed on 3 ranks, trains like one process`, async () => {
    const checkpoint = `${dir}/${config.seed}.safetensors`;
    await ranks({ ...config, epochs: 1 }, 2, { checkpoint });
    const [resumed] = await ranks(config, 3, { resume: checkpoint });
    const error = relativeError(resumed.params, reference.params);
    assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
    assert.equal(resumed.streams, reference.streams, "dropout seeds and offsets");
  });
}

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
