import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { buildTrainer } from "../../core/train/config.ts";
import { fit } from "../../core/train/fit.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import type { Optimizer } from "../../core/optim/optimizer.ts";
import { planForTrainer } from "../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../coordinator/job/fit_mesh.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import type { AllReduceAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";
import { startLocalJob } from "../../cli/local_job.ts";
import { digitsEpoch, needsClusterCommands, relativeError, runMain } from "./job_fixtures.ts";

// 50 steps of a global batch of 32: one epoch of 1,600 digits.
const STEPS = 50;
const BATCH = 32;
const { dir, spec, data, config } = await digitsEpoch(STEPS, BATCH, 200, 7);
// Small buckets, so that the gradient travels as several concurrent reductions.
const BUCKET_ELEMS = 6000;
const fitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 10 };

async function singleProcess(): Promise<Float32Array> {
  const { trainer } = await fitConfig(config, createCpuBackend(), data, fitOptions);
  return await trainer.flat.backend.read(trainer.flat.params);
}

/** Hosts that split a world over two machines unevenly (a, b, a, b, a, …). */
const twoHosts = (world: number) => Array.from({ length: world }, (_, r) => "ab"[r % 2]);

/**
 * Every rank's parameters after training over an in-memory mesh of `world` ranks, reduced
 * by `algorithm` (hier with the ranks on two pretend hosts).
 */
async function inMemoryMesh(world: number, algorithm: AllReduceAlgorithm): Promise<Float32Array[]> {
  const trainers = memoryMesh(world).map(() => buildTrainer(config, createCpuBackend()));
  const plan = planForTrainer(trainers[0], world, false, BUCKET_ELEMS, undefined, {
    algorithm,
    hosts: twoHosts(world),
  });
  const results = await Promise.all(
    memoryMesh(world).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      const mesh = meshForFit(link, { rank, plan, backend, checksumEvery: 10 });
      return fit(trainer, config, data, { ...fitOptions, mesh });
    }),
  );
  assert.equal((results[0].trainer.optimizer as Optimizer).stepCount, STEPS);
  return await Promise.all(
    results.map(({ trainer }) => trainer.flat.backend.read(trainer.flat.params)),
  );
}

const reference = await singleProcess();

for (const world of [1, 2, 3, 4, 5]) {
  for (const algorithm of ["ring", "tree", "halving", "hier", "auto"] as const) {
    Deno.test(`equivalence: ${world} in-process rank(s) over a memory mesh, ${algorithm} all-reduce, match one process after ${STEPS} steps`, async () => {
      const ranks = await inMemoryMesh(world, algorithm);
      for (const params of ranks.slice(1)) {
        assert.deepEqual(new Uint8Array(params.buffer), new Uint8Array(ranks[0].buffer));
      }
      const error = relativeError(ranks[0], reference);
      assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
    });
  }
}

Deno.test({
  name:
    "equivalence: 2 worker processes over the HTTP link (tree all-reduce) match one process; rank 0 prints the run",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/run`;
    const lines: string[] = [];
    const job = startLocalJob(config, {
      workers: 2,
      backend: "cpu",
      link: "http",
      out,
      rank0Output: (line) => lines.push(line),
      // The tree here; the CLI run below takes auto (the ring, for two ranks).
      settings: { bucketElems: BUCKET_ELEMS, checksumEvery: 10, logEvery: 10, allreduce: "tree" },
    });
    await job.finished;
    const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
    const params = new Float32Array(reference.length);
    let offset = 0;
    for (const t of checkpoint.params) {
      params.set(t.data, offset);
      offset += t.data.length;
    }
    assert.equal(offset, reference.length);
    const error = relativeError(params, reference);
    assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
    const output = lines.join("\n");
    // The fast CPU backend, on the machine's cores divided between the two workers.
    const threads = Math.max(1, Math.floor(navigator.hardwareConcurrency / 2));
    const backendLine = new RegExp(
      `^rank 0/2 on 127\\.0\\.0\\.1: backend cpu, adapter "wasm [a-z0-9-]+, ${threads} threads?;`,
      "m",
    );
    assert.match(output, backendLine);
    assert.match(output, /^rank 0\/2 link: http$/m);
    assert.match(output, /^data: .*, 1600 train \/ 200 test samples$/m);
    assert.match(output, /^epoch 1\/1 train loss [\d.]+ acc [\d.]+% test loss/m);
    assert.match(output, /^final test accuracy [\d.]+% \(loss [\d.]+\) in \d+:\d\d$/m);
    assert.ok(lines.includes(`checkpoint: ${out}/checkpoint.safetensors`), output);
    assert.ok(lines.includes(`metrics:    ${out}/metrics.jsonl`), output);
    assert.equal(job.status().phase, "done");
  },
});

Deno.test({
  name: "equivalence: a coordinator with one worker process (world 1) trains like one process",
  ...await needsClusterCommands(),
  async fn() {
    // A ring of one rank once sent a chunk to itself, refused with "no chunk 0 expected".
    const out = `${dir}/world1`;
    const job = startLocalJob(config, {
      workers: 1,
      backend: "cpu",
      out,
      rank0Output: () => {},
      settings: { bucketElems: BUCKET_ELEMS, checksumEvery: 5, logEvery: 5 },
    });
    await job.finished;
    assert.equal(job.status().phase, "done");
    const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
    const params = Float32Array.from(checkpoint.params.flatMap((t) => [...t.data]));
    const error = relativeError(params, reference);
    assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
  },
});

Deno.test({
  name:
    "equivalence: `train --workers 2 --link native` trains like `train`, printing rank 0's lines, exit 0",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/cli`;
    const { code, stdout, stderr } = await runMain([
      "train",
      "--workers=2",
      "--link=native",
      "--backend=cpu",
      `--data=${spec}`,
      "--model=784-32-10",
      "--epochs=1",
      `--batch-size=${BATCH}`,
      "--seed=7",
      `--out=${out}`,
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.match(stdout, /^final test accuracy [\d.]+% /m);
    assert.match(stdout, /^rank 0\/2 link: native$/m);
    const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
    const error = relativeError(
      Float32Array.from(checkpoint.params.flatMap((t) => [...t.data])),
      reference,
    );
    assert.ok(error <= 1e-5, `relative error ${error.toExponential(2)}`);
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
