/**
 * `train` when training diverges, as a user runs it: `--lr 1e6` exits 1 with one line
 * naming the step and the parameter, in one process and with `--workers 2`, and writes no
 * checkpoint; the metrics file keeps the NaN loss, and `report` draws it; a checkpoint
 * with a NaN in it is refused by `--resume` with the tensor's name.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors } from "../../core/checkpoint/safetensors.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { inTempDir } from "../temp_dir.ts";
import { runCli } from "./run_cli.ts";

const DIVERGE = ["--lr", "1e6", "--epochs", "1", "--backend", "cpu", "--quiet"];
const LINE =
  /^gradmesh train: (rank \d \(127\.0\.0\.1\), step 50: )?non-finite at step \d+: the gradient of 0\.weight\[\d+\] is NaN or ±Inf; stopped at step 50 before writing a checkpoint \(lower --lr, clip gradients, or --on-nonfinite skip-step\)\n$/;

for (const workers of [1, 2]) {
  Deno.test(`train --lr 1e6 --workers ${workers}: exit 1, one line naming step and parameter, no checkpoint`, () =>
    inTempDir(async (dir) => {
      const out = `${dir}/run`;
      const { code, stderr } = await runCli([
        "train",
        ...DIVERGE,
        "--workers",
        String(workers),
        "--out",
        out,
      ]);
      assert.equal(code, 1, stderr);
      assert.match(stderr, LINE);
      const files = [...Deno.readDirSync(out)].map((e) => e.name).sort();
      assert.deepEqual(files, ["metrics.csv", "metrics.jsonl"]);
      const [record] = await readMetrics(`${out}/metrics.jsonl`);
      assert.ok(Number.isNaN(record.train_loss), "the NaN loss is logged as NaN, not 0");
      const report = await runCli(["report", `${out}/metrics.jsonl`, "--out", `${dir}/r.svg`]);
      assert.equal(report.code, 0, report.stderr);
    }));
}

Deno.test("train --on-nonfinite skip-step --lr 1e6 --workers 2: every NaN step dropped and counted, a finite checkpoint", () =>
  inTempDir(async (dir) => {
    const out = `${dir}/run`;
    const args = ["train", ...DIVERGE.slice(0, -1), "--on-nonfinite", "skip-step"];
    const { code, stdout, stderr } = await runCli([...args, "--workers", "2", "--out", out]);
    assert.equal(code, 0, stderr);
    const skipped = Number(/\((\d+) steps skipped: non-finite gradient\)/.exec(stdout)?.[1]);
    assert.ok(skipped > 50, stdout);
    const epoch = (await readMetrics(`${out}/metrics.jsonl`)).at(-1)!;
    assert.equal(epoch.skipped_steps, skipped);
    const path = `${out}/checkpoint.safetensors`;
    const { tensors } = decodeSafetensors(await Deno.readFile(path), path);
    for (const [name, t] of tensors) assert.ok(t.data.every(Number.isFinite), name);
  }));

Deno.test("train --resume: a checkpoint with a NaN parameter is refused naming the tensor (exit 2)", () =>
  inTempDir(async (dir) => {
    const out = `${dir}/run`;
    const small = ["--model", "784-8-10", "--epochs", "1", "--backend", "cpu", "--quiet"];
    const first = await runCli(["train", ...small, "--out", out]);
    assert.equal(first.code, 0, first.stderr);
    const path = `${out}/checkpoint.safetensors`;
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path), path);
    const named = [...tensors].map(([name, t]) => ({ name, ...t }));
    named.find((t) => t.name === "2.bias")!.data[3] = NaN;
    await Deno.writeFile(path, encodeSafetensors(named, metadata));
    const { code, stderr } = await runCli(["train", "--resume", path, "--epochs", "2"]);
    assert.equal(code, 2, stderr);
    assert.equal(
      stderr,
      `gradmesh train: ${path}: tensor 2.bias holds NaN at element 3; a diverged state cannot ` +
        `be loaded\n`,
    );
  }));

Deno.test("train --on-nonfinite: only stop or skip-step", async () => {
  const { code, stderr } = await runCli(["train", "--on-nonfinite", "ignore"]);
  assert.equal(code, 2);
  assert.match(stderr, /--on-nonfinite: expected one of stop, skip-step, got "ignore"/);
});
