/**
 * `--grad-dtype` and `--allreduce` reach the workers: a 2-worker job over HTTP with bf16
 * gradients on the wire trains close to, but not exactly like, one process in float32; the
 * flags parse into the job settings, and bad values are refused naming the flag.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { loadDataset } from "../../core/data/source.ts";
import { defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { fitConfig } from "../../core/train/fit_config.ts";
import { UsageError } from "../../core/errors.ts";
import { jobSettings } from "../../coordinator/job/coordinator.ts";
import { collectiveFlags, collectiveSettings } from "../../cli/collective_flags.ts";
import { parseFlags } from "../../cli/flags.ts";
import { startLocalJob } from "../../cli/local_job.ts";
import { needsClusterCommands, relativeError, writeDigits } from "./job_fixtures.ts";

Deno.test("the collective flags parse into job settings; bad values name the flag", () => {
  const { values } = parseFlags(collectiveFlags, [
    "--allreduce=tree",
    "--grad-dtype=bf16",
    "--streams=2",
  ]);
  assert.deepEqual(collectiveSettings(values), {
    allreduce: "tree",
    gradDtype: "bf16",
    streams: 2,
  });
  const defaults = jobSettings(collectiveSettings(parseFlags(collectiveFlags, []).values));
  assert.equal(defaults.allreduce, "auto");
  assert.equal(defaults.gradDtype, "fp32");
  assert.equal(defaults.streams, null);
  assert.throws(() => parseFlags(collectiveFlags, ["--grad-dtype=fp8"]), UsageError);
  assert.throws(() => parseFlags(collectiveFlags, ["--allreduce=star"]), /--allreduce/);
  assert.throws(() => parseFlags(collectiveFlags, ["--streams=0"]), /--streams/);
});

Deno.test({
  name: "2 workers over HTTP with bf16 gradients train close to one fp32 process",
  ...await needsClusterCommands(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gradmesh-grad-dtype-" });
    try {
      const spec = await writeDigits(dir, 20 * 32, 64);
      const config: TrainConfig = {
        ...defaultTrainConfig,
        data: spec,
        model: "784-32-10",
        epochs: 1,
        batchSize: 32,
        seed: 3,
      };
      const fitOptions = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 10 };
      const data = await loadDataset(spec, { cache: false });
      const { trainer } = await fitConfig(config, createCpuBackend(), data, fitOptions);
      const reference = await trainer.flat.backend.read(trainer.flat.params);
      const job = startLocalJob(config, {
        workers: 2,
        backend: "cpu",
        out: `${dir}/run`,
        rank0Output: () => {},
        settings: { gradDtype: "bf16", allreduce: "tree", streams: 2, logEvery: 10 },
      });
      await job.finished;
      const checkpoint = await loadCheckpoint(`${dir}/run/checkpoint.safetensors`);
      const params = Float32Array.from(checkpoint.params.flatMap((t) => [...t.data]));
      const error = relativeError(params, reference);
      // bf16 keeps 8 bits: 20 steps drift measurably, and not far.
      assert.ok(error > 1e-6 && error < 1e-2, `relative error ${error.toExponential(2)}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
