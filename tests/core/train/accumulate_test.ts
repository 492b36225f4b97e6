import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { batchIndices, gatherBatch, permutation } from "../../../core/data/sampler.ts";
import { UsageError } from "../../../core/errors.ts";
import type { Optimizer } from "../../../core/optim/optimizer.ts";
import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { ChunkedDeviceData } from "../../../core/train/device_data.ts";
import { fit } from "../../../core/train/fit.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";
import { checkAccumulate, microBatches } from "../../../core/train/micro_batches.ts";
import type { GradientReducer } from "../../../core/train/trainer.ts";
import { planForTrainer } from "../../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../../coordinator/job/fit_mesh.ts";
import { memoryMesh } from "../../../coordinator/transport/memory_link.ts";
import { ALLREDUCE_ALGORITHMS } from "../../../coordinator/transport/algorithm_choice.ts";
import { relativeError, writeDigits } from "../../coordinator/job_fixtures.ts";

// `--accumulate N`: N micro-batches per optimizer step give the step the combined batch
// would give, in one process and across ranks.

const STEPS = 20;
const BATCH = 30;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-accumulate-" });
const spec = await writeDigits(dir, STEPS * BATCH, 50);
const data = await loadDataset(spec, { cache: false });
// Dropout, so that every micro-batch must take its own rows of the step's masks.
const config: TrainConfig = {
  ...defaultTrainConfig,
  data: spec,
  model: "784-24-10",
  dropout: 0.2,
  epochs: 1,
  batchSize: BATCH,
  seed: 11,
};
const options = { checkpointPath: null, evalEvery: 1, logEvery: 5 };

/** Parameters, optimizer steps and logged step records of one process's run. */
async function oneProcess(accumulate: number) {
  const metricsPath = `${dir}/metrics-${accumulate}.jsonl`;
  const { trainer } = await fitConfig(
    { ...config, accumulate },
    createCpuBackend(),
    data,
    { ...options, metricsPath },
  );
  const records = (await Deno.readTextFile(metricsPath)).trim().split("\n").map((l) =>
    JSON.parse(l)
  );
  return {
    params: await trainer.flat.backend.read(trainer.flat.params),
    steps: (trainer.optimizer as Optimizer).stepCount,
    records: records.filter((r) => r.kind === "step"),
  };
}

const reference = await oneProcess(1);

Deno.test("accumulate: 1, 3 and 7 micro-batches per step train like the combined batch", async () => {
  for (const n of [3, 7]) {
    const run = await oneProcess(n);
    const error = relativeError(run.params, reference.params);
    assert.ok(error <= 1e-6, `accumulate ${n}: relative error ${error.toExponential(2)}`);
    // Metrics, --log-every and the optimizer count optimizer steps, not micro-batches.
    assert.equal(run.steps, STEPS);
    assert.deepEqual(run.records.map((r) => r.step), [5, 10, 15, 20]);
    for (const [i, r] of run.records.entries()) {
      assert.ok(
        Math.abs(r.train_loss - reference.records[i].train_loss) < 1e-5,
        `loss at step ${r.step}`,
      );
      assert.equal(r.train_acc, reference.records[i].train_acc);
    }
  }
});

for (const algorithm of ALLREDUCE_ALGORITHMS) {
  Deno.test(`accumulate: 3 ranks of 4 micro-batches each, ${algorithm} all-reduce, match one process`, async () => {
    const world = 3;
    const accumulated = { ...config, accumulate: 4 };
    const trainers = [0, 1, 2].map(() => buildTrainer(accumulated, createCpuBackend()));
    // Two pretend hosts, so that hier has a stage on each side.
    const plan = planForTrainer(trainers[0], world, false, 4096, undefined, {
      algorithm,
      hosts: ["a", "b", "a"],
    });
    const results = await Promise.all(
      memoryMesh(world).map((link, rank) => {
        const backend = trainers[rank].flat.backend;
        const mesh = meshForFit(link, { rank, plan, backend });
        return fit(trainers[rank], accumulated, data, { ...options, metricsPath: null, mesh });
      }),
    );
    const ranks = await Promise.all(
      results.map(({ trainer }) => trainer.flat.backend.read(trainer.flat.params)),
    );
    for (const params of ranks.slice(1)) {
      assert.deepEqual(new Uint8Array(params.buffer), new Uint8Array(ranks[0].buffer));
    }
    const error = relativeError(ranks[0], reference.params);
    assert.ok(error <= 1e-6, `relative error ${error.toExponential(2)}`);
  });
}

Deno.test("accumulate: the gradient is reduced once per step, after the last micro-batch", async () => {
  const trainer = buildTrainer({ ...config, dropout: 0 }, createCpuBackend());
  const batch = {
    ...gatherBatch(data.train, batchIndices(permutation(600, 1, 0), 0, 12)),
    rows: 12,
  };
  const calls: { forwards: number; ready: number }[] = [];
  let forwards = 0;
  const reduce: GradientReducer = () => {
    const call = { forwards, ready: 0 };
    calls.push(call);
    return { ready: () => call.ready++, finish: () => Promise.resolve() };
  };
  // Counts forward passes through the model: one per micro-batch. The reduction starts
  // after the last one, so the first two backward passes ran without it.
  const forward = trainer.model.forwardAsync.bind(trainer.model);
  trainer.model.forwardAsync = (x) => (forwards++, forward(x));
  await trainer.step(batch, 12, reduce, 3);
  assert.deepEqual(calls, [{ forwards: 3, ready: trainer.flat.slots.length }]);
});

Deno.test("accumulate: micro-batches of a chunked device source gather their parts of each step", async () => {
  const backend = createCpuBackend();
  const perm = permutation(data.train.count, 5, 0);
  const run = async (accumulate: number) => {
    const trainer = buildTrainer({ ...config, dropout: 0 }, backend);
    const source = new ChunkedDeviceData(backend, data.train, BATCH, 3);
    source.beginEpoch((step) => batchIndices(perm, step, BATCH), STEPS);
    for (let step = 0; step < STEPS; step++) {
      const indices = batchIndices(perm, step, BATCH);
      await trainer.step(
        { data: source, indices, rows: indices.length },
        BATCH,
        undefined,
        accumulate,
      );
    }
    return await backend.read(trainer.flat.params);
  };
  const whole = await run(1);
  const error = relativeError(await run(4), whole);
  assert.ok(error <= 1e-6, `relative error ${error.toExponential(2)}`);
});

Deno.test("accumulate: micro-batches keep their rows' place, and bad settings are refused", () => {
  const batch = { x: new Float32Array(14), y: new Float32Array(7), rows: 7, firstRow: 3 };
  const parts = microBatches(batch, 3);
  assert.deepEqual(parts.map((p) => [p.firstRow, p.rows, p.x.length, p.y.length]), [
    [3, 3, 6, 3],
    [6, 2, 4, 2],
    [8, 2, 4, 2],
  ]);
  assert.equal(microBatches({ ...batch, rows: 2 }, 5).length, 2, "no empty micro-batches");
  assert.throws(() => checkAccumulate({ ...config, accumulate: 0 }), UsageError);
  assert.throws(
    () => checkAccumulate({ ...config, accumulate: 2, syncBn: true }),
    /accumulate: --sync-bn/,
  );
  checkAccumulate({ ...config, accumulate: 2 });
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
