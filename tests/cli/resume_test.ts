import assert from "node:assert/strict";
import { decodeSafetensors, encodeSafetensors } from "../../core/checkpoint/safetensors.ts";
import type { NamedTensor } from "../../core/checkpoint/named_tensor.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { tinySplit, writeIdxDir } from "../core/data/helpers.ts";
import { runCli } from "./run_cli.ts";

const SMALL = ["--model", "784-8-10", "--backend", "cpu"];
const CKPT = "checkpoint.safetensors";

// One 2-epoch run, copied for every test that needs a finished run.
const base = (async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-resume-base-" });
  const r = await runCli(["train", ...SMALL, "--epochs", "2", "--quiet", "--out", dir]);
  assert.equal(r.code, 0, r.stderr);
  return dir;
})();

async function finishedRun(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-resume-" });
  for (const name of [CKPT, "metrics.jsonl"]) {
    await Deno.copyFile(`${await base}/${name}`, `${dir}/${name}`);
  }
  return dir;
}

/** `train --resume DIR/checkpoint.safetensors --epochs N --out DIR`, then `extra`. */
function resumeIn(dir: string, epochs: number, ...extra: string[]) {
  return runCli([
    "train",
    "--resume",
    `${dir}/${CKPT}`,
    "--epochs",
    String(epochs),
    "--out",
    dir,
    ...extra,
  ]);
}

function oneLine(stderr: string): void {
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.ok(!stderr.includes("    at "), `stack trace: ${stderr}`);
}

async function epochRecords(dir: string): Promise<number[]> {
  return (await readMetrics(`${dir}/metrics.jsonl`)).filter((r) => r.kind === "epoch")
    .map((r) => r.epoch);
}

/** Rewrites the checkpoint in `dir` through `edit` of its tensors and metadata. */
async function editCheckpoint(
  dir: string,
  edit: (tensors: NamedTensor[], metadata: Record<string, string>) => NamedTensor[],
): Promise<void> {
  const { tensors, metadata } = decodeSafetensors(await Deno.readFile(`${dir}/${CKPT}`), CKPT);
  const named = [...tensors].map(([name, t]) => ({ name, ...t }));
  await Deno.writeFile(`${dir}/${CKPT}`, encodeSafetensors(edit(named, metadata), metadata));
}

Deno.test("--lr, --epochs and --log-every given with --resume apply, in one line saying so", async () => {
  const dir = await finishedRun();
  const r = await resumeIn(
    dir,
    3,
    "--lr",
    "0.01",
    "--log-every",
    "25",
    "--model",
    "784-8-10", // the checkpoint's own value: accepted, nothing to say
  );
  assert.equal(r.code, 0, r.stderr);
  const notes = r.stdout.split("\n").filter((l) => l.startsWith("resuming "));
  assert.deepEqual(notes, [
    `resuming ${dir}/${CKPT} after epoch 2 of 3; applies: --epochs 3 (was 2), ` +
    `--lr 0.01 (was 0.05), --log-every 25`,
  ]);
  const { metadata } = decodeSafetensors(await Deno.readFile(`${dir}/${CKPT}`), CKPT);
  assert.equal(JSON.parse(metadata.config).lr, 0.01);
  const steps = (await readMetrics(`${dir}/metrics.jsonl`)).filter((m) =>
    m.kind === "step" && m.epoch === 3
  );
  assert.deepEqual(steps.map((m) => m.step), [275, 300, 325, 350, 375]);
  assert.ok(steps.every((m) => m.lr === 0.01));
});

const refused: [string[], RegExp][] = [
  [["--model", "784-16-10"], /--model: .* was trained with --model 784-8-10; a resumed run keeps/],
  [["--optimizer", "adam"], /--optimizer: .* was trained with --optimizer sgd/],
  [["--data", "fashion-mnist"], /--data: .* was trained with --data mnist/],
  [["--batch-size", "32"], /--batch-size: .* was trained with --batch-size 64/],
  [["--momentum", "0.5"], /--momentum: .* was trained with --momentum 0.9/],
  [["--seed", "3"], /--seed: .* was trained with --seed 0/],
];
for (const [args, message] of refused) {
  Deno.test(`--resume with ${args.join(" ")} is refused in one line, exit 2`, async () => {
    const dir = await finishedRun();
    const before = await Deno.readFile(`${dir}/metrics.jsonl`);
    const r = await resumeIn(dir, 3, ...args);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, message);
    assert.deepEqual(await Deno.readFile(`${dir}/metrics.jsonl`), before);
  });
}

Deno.test("resuming a run whose epochs are all done says so and writes nothing", async () => {
  const dir = await finishedRun();
  const before = await Deno.readFile(`${dir}/${CKPT}`);
  const r = await runCli(["train", "--resume", `${dir}/${CKPT}`, "--out", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /has done 2 of 2 epochs: nothing to train/);
  assert.doesNotMatch(r.stdout, /checkpoint:/);
  assert.deepEqual(await Deno.readFile(`${dir}/${CKPT}`), before);
  assert.deepEqual(await epochRecords(dir), [1, 2]);
});

Deno.test("a coordinator resuming a run whose epochs are all done says so and starts nothing", async () => {
  const dir = await finishedRun();
  const r = await runCli(
    ["coordinator", "--world", "2", "--port", "0", "--resume", `${dir}/${CKPT}`, "--quiet"],
    { GRADMESH_TOKEN: "0123456789abcdef0123" },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /has done 2 of 2 epochs: nothing to train/);
});

Deno.test("--out holding a run is refused without --overwrite and replaced with it", async () => {
  const dir = await finishedRun();
  const before = await Deno.readFile(`${dir}/metrics.jsonl`);
  const refusedRun = await runCli(["train", ...SMALL, "--epochs", "1", "--out", dir]);
  assert.equal(refusedRun.code, 2);
  oneLine(refusedRun.stderr);
  assert.match(refusedRun.stderr, /--out: .* already holds a run .* give --overwrite/);
  assert.deepEqual(await Deno.readFile(`${dir}/metrics.jsonl`), before);
  const replaced = await runCli([
    "train",
    ...SMALL,
    "--epochs",
    "1",
    "--quiet",
    "--overwrite",
    "--out",
    dir,
  ]);
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.deepEqual(await epochRecords(dir), [1]);
});

Deno.test("a usage error found late leaves an existing metrics file as it was", async () => {
  const dir = await finishedRun();
  const before = await Deno.readFile(`${dir}/metrics.jsonl`);
  for (const extra of [[], ["--overwrite"]]) {
    const r = await runCli(["train", ...SMALL, "--scheduler", "step-lr", ...extra, "--out", dir]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r.stderr);
    assert.deepEqual(await Deno.readFile(`${dir}/metrics.jsonl`), before);
  }
});

Deno.test("a failed command leaves no empty run folder behind", async () => {
  const parent = await Deno.makeTempDir();
  const out = `${parent}/new/run`;
  const r = await runCli(["train", ...SMALL, "--model", "784-8-7", "--out", out]);
  assert.equal(r.code, 2);
  oneLine(r.stderr);
  assert.deepEqual([...Deno.readDirSync(parent)], []);
});

Deno.test("temp files of a killed checkpoint write are removed when a run starts", async () => {
  const dir = await finishedRun();
  const stale = `${dir}/.${CKPT}.0a1b2c3d.tmp`;
  await Deno.writeTextFile(stale, "torn");
  await Deno.writeTextFile(`${dir}/notes.tmp`, "not ours"); // another name: kept
  const r = await resumeIn(dir, 3);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /removed stale temp files in .*: \.checkpoint\.safetensors\.0a1b2c3d\.tmp/,
  );
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    CKPT,
    "checkpoints",
    "metrics.csv",
    "metrics.jsonl",
    "notes.tmp",
  ]);
});

Deno.test("resuming into the same folder after a kill does not repeat an epoch's records", async () => {
  const dir = await finishedRun();
  const atEpoch2 = await Deno.readFile(`${dir}/${CKPT}`);
  const third = await resumeIn(dir, 3);
  assert.equal(third.code, 0, third.stderr);
  // As if killed after epoch 3 was logged but before its checkpoint was renamed into place,
  // with a torn line at the end.
  await Deno.writeFile(`${dir}/${CKPT}`, atEpoch2);
  await Deno.writeTextFile(`${dir}/metrics.jsonl`, '{"kind":"step","epo', { append: true });
  const r = await resumeIn(dir, 4);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await epochRecords(dir), [1, 2, 3, 4]);
});

Deno.test("a checkpoint tensor of the right size but another shape is refused, naming it", async () => {
  const dir = await finishedRun();
  await editCheckpoint(
    dir,
    (ts) => ts.map((t) => t.name === "0.weight" ? { ...t, shape: [784, 8] } : t),
  );
  const r = await resumeIn(dir, 3);
  assert.equal(r.code, 2);
  oneLine(r.stderr);
  assert.match(r.stderr, /tensor 0\.weight has shape \[784,8\], the model expects \[8,784\]/);
});

Deno.test("extra or missing checkpoint tensors are refused, naming them", async () => {
  const cases: [(ts: NamedTensor[]) => NamedTensor[], RegExp][] = [
    [
      (ts) => [...ts, { name: "3.weight", shape: [2], data: new Float32Array(2) }],
      /holds a tensor that the model lacks: 3\.weight/,
    ],
    [(ts) => ts.filter((t) => t.name !== "2.bias"), /lacks a tensor that the model has: 2\.bias/],
    [
      (ts) => ts.filter((t) => t.name !== "optim.0.bias.momentum_buffer"),
      /lacks a tensor that the model has: optim\.0\.bias\.momentum_buffer/,
    ],
  ];
  for (const [edit, message] of cases) {
    const dir = await finishedRun();
    await editCheckpoint(dir, edit);
    const r = await resumeIn(dir, 3);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, message);
  }
});

Deno.test("a checkpoint naming an unknown optimizer is one line naming the file, exit 2", async () => {
  const dir = await finishedRun();
  await editCheckpoint(dir, (ts, metadata) => {
    metadata.config = JSON.stringify({ ...JSON.parse(metadata.config), optimizer: "lion" });
    return ts;
  });
  const r = await resumeIn(dir, 3);
  assert.equal(r.code, 2);
  oneLine(r.stderr);
  assert.match(
    r.stderr,
    /checkpoint\.safetensors: __metadata__ config\.optimizer: expected one of sgd/,
  );
});

Deno.test("--resume /dev/zero is refused at once in one line", async () => {
  const start = performance.now();
  const r = await runCli(["train", "--resume", "/dev/zero", "--out", await Deno.makeTempDir()]);
  assert.equal(r.code, 2);
  oneLine(r.stderr);
  assert.match(r.stderr, /\/dev\/zero: cannot read checkpoint: not a regular file/);
  assert.ok(performance.now() - start < 30_000);
});

Deno.test("a model beyond the parameter cap is one line naming --model, exit 2", async () => {
  const parent = await Deno.makeTempDir();
  const r = await runCli([
    "train",
    ...SMALL,
    "--model",
    "784-300000000-10",
    "--out",
    `${parent}/x`,
  ]);
  assert.equal(r.code, 2);
  oneLine(r.stderr);
  assert.match(
    r.stderr,
    /--model: 784-300000000-10 has 238,500,000,010 parameters, more than the limit/,
  );
  assert.deepEqual([...Deno.readDirSync(parent)], []);
});

Deno.test("an --out that cannot be created is one line naming --out, exit 2", async () => {
  const file = await Deno.makeTempFile();
  for (const out of [`${file}/run`, file]) {
    const r = await runCli(["train", ...SMALL, "--out", out]);
    assert.equal(r.code, 2, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, /^gradmesh train: --out: /);
  }
});

Deno.test("a training set of 0 samples is refused in one line; the checkpoint is untouched", async () => {
  const dir = await Deno.makeTempDir();
  const cache = await Deno.makeTempDir();
  const env = { GRADMESH_CACHE: cache };
  await writeIdxDir(dir, tinySplit(6, 3), false);
  const tiny = ["--model", "6-4-10", "--backend", "cpu", "--data", `idx:${dir}`, "--quiet"];
  const first = await runCli(["train", ...tiny, "--epochs", "1", "--out", `${dir}/run`], env);
  assert.equal(first.code, 0, first.stderr);
  const before = await Deno.readFile(`${dir}/run/${CKPT}`);
  await writeIdxDir(dir, tinySplit(0, 3), false);
  const r = await runCli([
    "train",
    "--resume",
    `${dir}/run/${CKPT}`,
    "--epochs",
    "2",
    "--out",
    `${dir}/run`,
  ], env);
  assert.equal(r.code, 2, r.stderr);
  oneLine(r.stderr);
  assert.match(r.stderr, /train-images-idx3-ubyte: holds 0 images, expected at least 1 sample/);
  assert.deepEqual(await Deno.readFile(`${dir}/run/${CKPT}`), before);
});

/** Mounts a small tmpfs at `dir` (read-only when `ro`); false where mounting is not allowed. */
async function mountTmpfs(dir: string, options: string): Promise<boolean> {
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", options, "tmpfs", dir],
    stderr: "null",
  }).output().catch(() => null);
  return mount?.success ?? false;
}

const canMount = await (async () => {
  const dir = await Deno.makeTempDir();
  const ok = await mountTmpfs(dir, "size=64k");
  if (ok) await new Deno.Command("umount", { args: [dir] }).output();
  return ok;
})();

Deno.test({
  name: "a read-only or full output filesystem is one line naming what failed, exit 2 (tmpfs)",
  ignore: !canMount, // needs the right to mount
  fn: async () => {
    const [ro, full] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    assert.ok(await mountTmpfs(ro, "size=64k,ro"));
    assert.ok(await mountTmpfs(full, "size=64k"));
    try {
      const a = await runCli(["train", ...SMALL, "--epochs", "1", "--out", `${ro}/run`]);
      assert.equal(a.code, 2, a.stderr);
      oneLine(a.stderr);
      assert.match(a.stderr, /--out: cannot create .*: Read-only file system/);
      const big = ["--model", "784-64-10", "--epochs", "1", "--out", `${full}/run`];
      const b = await runCli(["train", ...SMALL, ...big]);
      assert.equal(b.code, 2, b.stderr);
      oneLine(b.stderr);
      assert.match(b.stderr, /\.safetensors: cannot write the checkpoint: No space left/);
    } finally {
      for (const dir of [ro, full]) await new Deno.Command("umount", { args: [dir] }).output();
    }
  },
});
