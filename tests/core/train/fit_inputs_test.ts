import assert from "node:assert/strict";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { UsageError } from "../../../core/errors.ts";
import { defaultTrainConfig } from "../../../core/train/config.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";

const dataset = (count: number): Dataset => ({
  images: new Float32Array(count * 4),
  labels: new Float32Array(count),
  count,
  sampleShape: [4],
  classes: 2,
});

Deno.test("fit refuses a training split of 0 samples before it writes anything", async () => {
  const dir = await Deno.makeTempDir();
  const checkpointPath = `${dir}/checkpoint.safetensors`;
  await Deno.writeTextFile(checkpointPath, "previous");
  await assert.rejects(
    () =>
      fitConfig(
        { ...defaultTrainConfig, model: "4-2", epochs: 1 },
        createCpuBackend(),
        { train: dataset(0), test: dataset(2) },
        { checkpointPath, metricsPath: `${dir}/metrics.jsonl`, evalEvery: 1, logEvery: 1 },
      ),
    (e) => e instanceof UsageError && e.flag === "data" && /holds 0 samples/.test(e.message),
  );
  assert.equal(await Deno.readTextFile(checkpointPath), "previous");
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint.safetensors"]);
});
