import assert from "node:assert/strict";
import { decodeSafetensors } from "../../core/checkpoint/safetensors.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { trainFlags } from "../../cli/train_flags.ts";
import { runCli } from "./run_cli.ts";

const SMALL = ["--model", "784-8-10", "--backend", "cpu", "--quiet"];

Deno.test("--help lists every flag with its default", async () => {
  const { code, stdout } = await runCli(["train", "--help"]);
  assert.equal(code, 0);
  for (const [name, spec] of Object.entries(trainFlags)) {
    assert.match(stdout, new RegExp(`--${name}\\b`), name);
    const shown = spec.default !== undefined && !["", "null", "default", "false"].includes(
      String(spec.default),
    );
    if (shown) assert.ok(stdout.replace(/\n */g, " ").includes(`(default: ${spec.default})`), name);
  }
});

const badUsage: [string[], RegExp][] = [
  [["--epoch", "3"], /--epoch/],
  [["--lr", "fast"], /^gradmesh train: --lr: expected a number, got "fast"/],
  [["--epochs", "0"], /--epochs: expected an integer >= 1, got 0/],
  [["--batch-size", "2.5"], /--batch-size: expected an integer, got "2.5"/],
  [["--optimizer", "lion"], /--optimizer: expected one of sgd, asgd, adagrad, .*, got "lion"/],
  [["--optimizer", "adam", "--momentum", "0.9"], /--momentum: adam takes no momentum/],
  [["--optimizer", "adam", "--betas", "0.9"], /--betas: expected two numbers like 0.9,0.999/],
  [["--optimizer", "rprop", "--etas", "2,3"], /--etas: expected 0 < etaminus < 1 < etaplus/],
  [["--activation", "swish"], /--activation: expected one of relu, leaky-relu, elu, selu/],
  [["--model", "784-x-10"], /--model: expected layer sizes like 784-128-10, got "784-x-10"/],
  [
    ["--data", "cifar"],
    /--data: expected mnist, fashion-mnist, idx:DIR, cifar10:DIR or cifar100:DIR/,
  ],
  [["--nesterov", "--momentum", "0"], /--nesterov: needs momentum > 0 and dampening 0/],
  [
    ["--model", "100-10"],
    /--model: input size 100 does not match the data's 784 values per sample/,
  ],
  [["--model", "784-8-7"], /--model: output size 7 does not match the data's 10 classes/],
  [["--max-restarts", "2"], /^gradmesh train: --max-restarts: restarts worker processes: use it/],
  [["--keep-checkpoints", "0"], /--keep-checkpoints: expected an integer >= 1, got 0/],
  [["--powersgd", "2"], /^gradmesh train: --powersgd: compresses what crosses the mesh: use it/],
  [["--workers", "2", "--powersgd", "0"], /--powersgd: expected an integer >= 1, got 0/],
  [["--workers", "2", "--powersgd-start", "5"], /--powersgd-start: delays PowerSGD: use it with/],
  [
    ["--workers", "2", "--powersgd", "2", "--grad-dtype", "bf16"],
    /--powersgd: sends its factors in fp32: drop --grad-dtype bf16 or --powersgd/,
  ],
  [["--checkpoint-every=-1"], /--checkpoint-every: expected an integer >= 0, got -1/],

  [
    ["--backend", "cpu", "--sgemm", "/nonexistent/libblas.so"],
    /^gradmesh train: --sgemm: expected/,
  ],
];
for (const [args, message] of badUsage) {
  Deno.test(`bad input ${args.join(" ")} → one line, exit 2`, async () => {
    const { code, stderr } = await runCli([
      "train",
      ...SMALL,
      ...args,
      "--out",
      await Deno.makeTempDir(),
    ]);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, message);
    assert.equal(code, 2);
  });
}

Deno.test("an IDX directory with a truncated file is named in a one-line error, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  const header = (dims: number[]) => {
    const b = new Uint8Array(4 + 4 * dims.length);
    b.set([0, 0, 8, dims.length]);
    dims.forEach((d, i) => new DataView(b.buffer).setUint32(4 + 4 * i, d));
    return b;
  };
  for (const split of ["train", "t10k"]) {
    await Deno.writeFile(`${dir}/${split}-images-idx3-ubyte`, header([2, 28, 28])); // no pixels
    await Deno.writeFile(
      `${dir}/${split}-labels-idx1-ubyte`,
      new Uint8Array([...header([2]), 1, 2]),
    );
  }
  const { code, stderr } = await runCli(["train", ...SMALL, "--data", `idx:${dir}`]);
  assert.equal(code, 2);
  assert.match(stderr, /train-images-idx3-ubyte: IDX size mismatch: 16 bytes, expected 1584/);
});

Deno.test("10 epochs straight and 5 + resume + 5 give bitwise identical parameters", async () => {
  const a = await Deno.makeTempDir(), b = await Deno.makeTempDir();
  const r1 = await runCli(["train", ...SMALL, "--epochs", "10", "--out", a]);
  assert.equal(r1.code, 0, r1.stderr);
  const tb = ["--tensorboard"];
  assert.equal((await runCli(["train", ...SMALL, ...tb, "--epochs", "5", "--out", b])).code, 0);
  const r2 = await runCli([
    "train",
    ...tb,
    "--resume",
    `${b}/checkpoint.safetensors`,
    "--epochs",
    "10",
    "--out",
    b,
    "--quiet",
  ]);
  assert.equal(r2.code, 0, r2.stderr);
  const ca = decodeSafetensors(await Deno.readFile(`${a}/checkpoint.safetensors`), "a");
  const cb = decodeSafetensors(await Deno.readFile(`${b}/checkpoint.safetensors`), "b");
  assert.equal(ca.metadata.epoch, "10");
  assert.deepEqual([...ca.tensors.keys()], [...cb.tensors.keys()]);
  for (const [name, t] of ca.tensors) {
    assert.deepEqual(
      new Uint8Array(t.data.buffer),
      new Uint8Array(cb.tensors.get(name)!.data.buffer),
      name,
    );
  }
  const epochs = (await readMetrics(`${b}/metrics.jsonl`)).filter((r) => r.kind === "epoch").map((
    r,
  ) => r.epoch);
  assert.deepEqual(epochs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // The CSV holds the same records, across the resume; each part of the run has an event file.
  const csv = (await Deno.readTextFile(`${b}/metrics.csv`)).trim().split("\n").map((l) =>
    l.split(",")
  );
  assert.equal(csv.length, 1 + (await readMetrics(`${b}/metrics.jsonl`)).length);
  assert.deepEqual(csv.filter((row) => row[0] === "epoch").map((row) => Number(row[1])), epochs);
  const events = [...Deno.readDirSync(`${b}/tensorboard`)].map((e) => e.name);
  assert.equal(events.filter((n) => n.startsWith("events.out.tfevents.")).length, 2, `${events}`);
  assert.match(r1.stdout, /final test accuracy \d+\.\d\d%/);
  assert.match(r1.stdout, new RegExp(`checkpoint: ${a}/checkpoint.safetensors`));
});

Deno.test("a truncated checkpoint is a one-line error and nothing is overwritten", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal((await runCli(["train", ...SMALL, "--epochs", "1", "--out", dir])).code, 0);
  const path = `${dir}/checkpoint.safetensors`;
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 100));
  const metricsBefore = await Deno.readTextFile(`${dir}/metrics.jsonl`);
  const { code, stderr } = await runCli(["train", "--resume", path, "--epochs", "2", "--out", dir]);
  assert.equal(code, 2);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.ok(stderr.includes(path), stderr);
  assert.equal((await Deno.readFile(path)).length, bytes.length - 100);
  assert.equal(await Deno.readTextFile(`${dir}/metrics.jsonl`), metricsBefore);
});

Deno.test("plain output: one line per epoch and where the outputs went", async () => {
  const dir = await Deno.makeTempDir();
  const { code, stdout } = await runCli([
    "train",
    "--model",
    "784-8-10",
    "--backend",
    "cpu",
    "--epochs",
    "2",
    "--out",
    dir,
  ]);
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n");
  assert.match(lines[0], /^backend: cpu/);
  assert.equal(
    lines.filter((l) => /^epoch \d\/2 train loss [\d.]+ acc [\d.]+% test loss/.test(l)).length,
    2,
  );
  assert.match(stdout, /metrics: +.*metrics\.jsonl/);
});

Deno.test("the first line names the CPU backend, its SIMD level, threads and sgemm", async () => {
  const dir = await Deno.makeTempDir();
  const run = async (extra: string[]) => {
    const args = ["train", "--model", "784-8-10", "--epochs", "1", "--out", dir, "--overwrite"];
    args.push(...extra);
    const { code, stdout } = await runCli(args);
    assert.equal(code, 0);
    return stdout.split("\n")[0];
  };
  const fast = await run(["--backend", "cpu", "--threads", "1", "--sgemm", "wasm"]);
  assert.match(fast, /^backend: cpu \(wasm (relaxed-simd|simd128), 1 thread; sgemm: wasm\)$/);
  assert.equal(await run(["--backend", "cpu-ref"]), "backend: cpu (TypeScript reference)");
  await Deno.remove(dir, { recursive: true });
});
