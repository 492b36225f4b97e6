import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { buildTrainer } from "../../core/train/config.ts";
import { fit } from "../../core/train/fit.ts";
import { planForTrainer } from "../../coordinator/job/bucket_plan.ts";
import { meshForFit } from "../../coordinator/job/fit_mesh.ts";
import { PowerSgd } from "../../coordinator/job/powersgd.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";
import { digitsEpoch, needsClusterCommands, relativeError } from "./job_fixtures.ts";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { collectiveFlags, collectiveSettings } from "../../cli/collective_flags.ts";
import { parseFlags } from "../../cli/flags.ts";
import { startLocalJob } from "../../cli/local_job.ts";

// 20 steps of a global batch of 30 on 3 ranks: 5 plain, then 15 compressed at rank 2.
const STEPS = 20;
const BATCH = 30;
const { dir, data, config } = await digitsEpoch(STEPS, BATCH, 60, 4);
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const fitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 10 };

/** Every rank's parameters after training on `world` in-process ranks, PowerSGD or not. */
async function train(world: number, powerSgd: boolean) {
  const trainers = memoryMesh(world).map(() => buildTrainer(config, createCpuBackend()));
  const states = trainers.map((t) =>
    new PowerSgd(t.flat.slots, world, { rank: 2, start: 5, seed: config.seed })
  );
  const plan = planForTrainer(trainers[0], world, false, 6000, undefined, {
    algorithm: "auto",
    powerSgdLengths: powerSgd ? states[0].vectorLengths : undefined,
  });
  await Promise.all(
    memoryMesh(world).map((link, rank) => {
      const trainer = trainers[rank], backend = trainer.flat.backend;
      const mesh = meshForFit(link, {
        rank,
        plan,
        backend,
        checksumEvery: 5,
        powerSgd: powerSgd ? states[rank] : undefined,
      });
      return fit(trainer, config, data, { ...fitOptions, mesh });
    }),
  );
  const params = await Promise.all(trainers.map((t) => t.flat.backend.read(t.flat.params)));
  return { params, states };
}

Deno.test("PowerSGD training on 3 ranks: every rank holds the same parameters, bit for bit", async () => {
  const { params, states } = await train(3, true);
  for (const p of params.slice(1)) {
    assert.deepEqual(new Uint8Array(p.buffer), new Uint8Array(params[0].buffer));
  }
  assert.equal(states[0].steps, STEPS);
  const plain = await train(3, false);
  assert.notDeepEqual(params[0], plain.params[0], "compression changed the updates");
});

Deno.test("--powersgd and --powersgd-start parse into the job settings, absent when not given", () => {
  const parse = (args: string[]) => collectiveSettings(parseFlags(collectiveFlags, args).values);
  assert.deepEqual(parse(["--powersgd=4", "--powersgd-start=10"]).powerSgd, { rank: 4, start: 10 });
  assert.deepEqual(parse(["--powersgd=1"]).powerSgd, { rank: 1, start: 0 });
  assert.equal("powerSgd" in parse([]), false);
});

Deno.test({
  name: "2 workers over HTTP with PowerSGD: the job settings reach every worker, which agree",
  ...await needsClusterCommands(),
  async fn() {
    const out = `${dir}/run`;
    const job = startLocalJob(config, {
      workers: 2,
      backend: "cpu",
      out,
      rank0Output: () => {},
      // A checksum every 5 steps: a rank that took another update fails the job.
      settings: { powerSgd: { rank: 1, start: 3 }, checksumEvery: 5, logEvery: 10 },
    });
    await job.finished;
    const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
    const params = Float32Array.from(checkpoint.params.flatMap((t) => [...t.data]));
    const { params: plain } = await train(2, false);
    assert.ok(relativeError(params, plain[0]) > 1e-4, "the workers compressed");
  },
});
