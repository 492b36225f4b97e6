import assert from "node:assert/strict";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { runCli } from "./run_cli.ts";

const dir = await Deno.makeTempDir();
const checkpoint = `${dir}/checkpoint.safetensors`;
const trained = runCli([
  "train",
  ...["--model", "784-8-10", "--backend", "cpu", "--epochs", "1", "--quiet", "--out", dir],
]);

Deno.test("eval gives the test metrics the run logged for its last epoch", async () => {
  assert.equal((await trained).code, 0, (await trained).stderr);
  const { code, stdout, stderr } = await runCli([
    "eval",
    "--checkpoint",
    checkpoint,
    "--backend",
    "cpu",
  ]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  const last = (await readMetrics(`${dir}/metrics.jsonl`)).at(-1)!;
  assert.ok(last.kind === "epoch");
  assert.equal(result.samples, 2000);
  assert.equal(result.epoch, 1);
  assert.ok(Math.abs(result.test_acc - last.test_acc!) < 1e-12, `${result.test_acc}`);
  assert.ok(Math.abs(result.test_loss - last.test_loss!) < 1e-6, `${result.test_loss}`);
  assert.match(
    stderr,
    /^eval: test accuracy \d+\.\d\d% \(loss \d\.\d{4}\) on 2000 mnist samples$/m,
  );
});

Deno.test("predict: one line per sample, probabilities that sum to 1, as accurate as eval", async () => {
  assert.equal((await trained).code, 0);
  const out = `${dir}/predictions.jsonl`;
  const { code, stderr } = await runCli([
    "predict",
    "--checkpoint",
    checkpoint,
    "--backend",
    "cpu",
    "--out",
    out,
  ]);
  assert.equal(code, 0, stderr);
  const rows = (await Deno.readTextFile(out)).trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(rows.length, 2000);
  for (const [i, row] of rows.entries()) {
    assert.equal(row.index, i);
    assert.equal(row.probabilities.length, 10);
    const sum = row.probabilities.reduce((a: number, b: number) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4, `row ${i}: sum ${sum}`);
    assert.equal(row.predicted, row.probabilities.indexOf(Math.max(...row.probabilities)));
  }
  const last = (await readMetrics(`${dir}/metrics.jsonl`)).at(-1)!;
  const correct = rows.filter((r) => r.predicted === r.label).length;
  assert.ok(last.kind === "epoch" && correct === Math.round(last.test_acc! * 2000), `${correct}`);
  assert.match(stderr, new RegExp(`predict: 2000 mnist test samples, .*; wrote ${out}`));
  const head = await runCli([
    "predict",
    "--checkpoint",
    checkpoint,
    "--split",
    "train",
    "--limit",
    "3",
  ]);
  assert.equal(head.stdout.trim().split("\n").length, 3, head.stderr);
});

const badInput: [string[], RegExp][] = [
  [["eval"], /^gradmesh eval: --checkpoint: required: the checkpoint to load/],
  [
    ["eval", "--checkpoint", "/nonexistent.safetensors"],
    /^gradmesh eval: \/nonexistent\.safetensors: /,
  ],
  [
    ["predict", "--checkpoint", "c", "--split", "val"],
    /--split: expected one of test, train, got "val"/,
  ],
  [["predict", "--checkpoint", "c", "--limit", "0"], /--limit: expected an integer >= 1, got 0/],
  [["eval", "--checkpont", "c"], /--checkpont: unknown flag \(did you mean --checkpoint\?\)/],
  [["summary", "--model", "lenet6"], /^gradmesh summary: --model: /],
];
for (const [args, line] of badInput) {
  Deno.test(`bad input ${args.join(" ")} → one line, exit 2`, async () => {
    const { code, stderr } = await runCli(args);
    assert.equal(code, 2, stderr);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, line);
  });
}

Deno.test("summary prints each layer and the total; --json the same numbers", async () => {
  const text = await runCli(["summary", "--model", "lenet5"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^lenet5 for mnist: input \[1, 28, 28\], 10 classes$/m);
  assert.match(text.stdout, /^0 +Conv2d +conv\(6,5,padding=2\) +\[6, 28, 28\] +156$/m);
  assert.match(text.stdout, /^Total params: 61,706$/m);
  const json = await runCli([
    "summary",
    "--model",
    "resnet20",
    "--input-shape",
    "3,32,32",
    "--json",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout);
  assert.equal(summary.params, 272474);
  assert.equal(summary.layers.length, 15);
  for (const cmd of ["eval", "predict", "summary"]) {
    const help = await runCli([cmd, "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, new RegExp(`^usage: gradmesh ${cmd} `));
  }
});
