import assert from "node:assert/strict";
import { loadCheckpoint } from "../../core/checkpoint/checkpoint.ts";
import { needsClusterCommands, runMain, writeDigits } from "./job_fixtures.ts";

const dir = await Deno.makeTempDir({ prefix: "gradmesh-resume-" });
const spec = await writeDigits(dir, 640, 100);

/** `train --workers 2` with `args`; returns the checkpoint's parameters. */
async function train(args: string[]): Promise<Float32Array> {
  const out = args.find((a) => a.startsWith("--out="))!.slice(6);
  const { code, stderr } = await runMain([
    "train",
    "--workers=2",
    "--backend=cpu",
    `--data=${spec}`,
    "--model=784-16-10",
    "--batch-size=32",
    "--optimizer=adam",
    "--seed=3",
    "--quiet",
    ...args,
  ]);
  assert.equal(code, 0, stderr);
  const checkpoint = await loadCheckpoint(`${out}/checkpoint.safetensors`);
  return Float32Array.from(checkpoint.params.flatMap((t) => [...t.data]));
}

Deno.test({
  name: "resume: `train --workers 2 --resume` continues exactly where the job stopped",
  ...await needsClusterCommands(),
  async fn() {
    const whole = await train(["--epochs=3", `--out=${dir}/whole`]);
    await train(["--epochs=2", `--out=${dir}/parts`]);
    const resumed = await train([
      `--resume=${dir}/parts/checkpoint.safetensors`,
      "--epochs=3",
      `--out=${dir}/parts`,
    ]);
    assert.deepEqual(new Uint8Array(resumed.buffer), new Uint8Array(whole.buffer));
    const epochs = (await Deno.readTextFile(`${dir}/parts/metrics.jsonl`))
      .trim().split("\n").map((line) => JSON.parse(line))
      .filter((record) => record.kind === "epoch")
      .map((record) => record.epoch);
    assert.deepEqual(epochs, [1, 2, 3]);
  },
});

globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
