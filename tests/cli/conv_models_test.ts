import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { writeSyntheticCifar10 } from "../cifar_fixture.ts";
import { runMain } from "../coordinator/job_fixtures.ts";

const dir = await Deno.makeTempDir({ prefix: "gradmesh-conv-models-" });
await writeSyntheticCifar10(`${dir}/cifar`, 10, 10);

for (const model of ["lenet5", "allcnn-c", "resnet20"]) {
  for (const workers of [1, 2]) {
    Deno.test(`train --model ${model} on CIFAR-format data with ${workers} worker(s)`, async () => {
      const out = `${dir}/${model}-${workers}`;
      const { code, stdout, stderr } = await runMain([
        "train",
        `--model=${model}`,
        `--data=cifar10:${dir}/cifar`,
        "--epochs=1",
        "--batch-size=10",
        `--workers=${workers}`,
        "--backend=cpu",
        `--out=${out}`,
        ...(model === "lenet5" ? ["--tensorboard"] : []),
      ]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^final test accuracy [\d.]+% \(loss [\d.]+\)/m);
      const { params } = await loadCheckpoint(`${out}/checkpoint.safetensors`);
      const names = params.map((t) => t.name);
      assert.ok(params.every((t) => t.data.every(Number.isFinite)), `${model}: finite values`);
      if (model === "resnet20") {
        // Rank 0's BatchNorm statistics are saved under PyTorch's names.
        for (const name of ["1.running_mean", "1.running_var", "1.num_batches_tracked"]) {
          assert.ok(names.includes(name), `${name} in ${names.slice(0, 8)}`);
        }
        assert.ok(names.includes("6.downsample.0.weight"));
      }
      if (model === "lenet5") {
        // Rank 0 writes the event file; eval of the checkpoint gives the logged test metrics.
        const events = [...Deno.readDirSync(`${out}/tensorboard`)].map((e) => e.name);
        assert.equal(events.filter((n) => n.startsWith("events.out.tfevents.")).length, 1);
        const ckpt = `${out}/checkpoint.safetensors`;
        const evaluated = await runMain(["eval", `--checkpoint=${ckpt}`, "--backend=cpu"]);
        assert.equal(evaluated.code, 0, evaluated.stderr);
        const last = (await readMetrics(`${out}/metrics.jsonl`)).at(-1)!;
        assert.ok(last.kind === "epoch");
        assert.equal(JSON.parse(evaluated.stdout).test_acc, last.test_acc);
      }
    });
  }
}

Deno.test("train --model with a stack that does not fit the data: one line naming --model, exit 2", async () => {
  const { code, stderr } = await runMain([
    "train",
    "--model=conv(4,3),linear(10)",
    `--data=cifar10:${dir}/cifar`,
    "--epochs=1",
  ]);
  assert.equal(code, 2);
  assert.equal(
    stderr.trim(),
    "gradmesh train: --model: linear needs flat samples, got [4,30,30]: add flatten",
  );
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
