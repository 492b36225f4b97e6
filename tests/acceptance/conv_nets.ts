/**
 * `deno task accept:conv`: the convolutional acceptance runs, as a user starts them.
 *
 * 1. `--model lenet5 --data fashion-mnist` (SGD lr 0.05, momentum 0.9, weight decay 1e-4,
 *    batch 64: `train`'s defaults) against PyTorch's LeNet-5 (bench/torch_conv.py) for the
 *    same epochs and seeds in the same run: mean test accuracies within half a point. One
 *    seed cannot show that: at 3 epochs either side's seeds spread over 3 points.
 * 2. `--model resnet20` on a small synthetic CIFAR-10 set written in the binary format, with
 *    random crop and flip: the training loss falls (small, because a ResNet-20 step takes
 *    seconds on the CPU backend).
 * 3. An MLP with BatchNorm after its last linear layer (a layer stack) on the bundled
 *    digits: it trains (test accuracy above 90%).
 *
 * `LENET_EPOCHS` (default 3) and `LENET_SEEDS` (default 0,1,2,3,4) set run 1; our seeds run
 * `LENET_JOBS` at a time (default 2; PyTorch's run first, alone, for its timing). `--write`
 * records the results in bench/RESULTS.md. Exits 1 when a check fails.
 *
 * @module
 */

import { machineLine, replaceSection } from "../../bench/results.ts";
import { writeSyntheticCifar10 } from "../cifar_fixture.ts";

const EPOCHS = Number(Deno.env.get("LENET_EPOCHS") ?? 3);
const SEEDS = (Deno.env.get("LENET_SEEDS") ?? "0,1,2,3,4").split(",").map(Number);
const JOBS = Number(Deno.env.get("LENET_JOBS") ?? 2);
const main = new URL("../../cli/main.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-accept-conv-" });

/** Runs `train args`; returns its stdout, its epoch lines' numbers and its wall time. */
async function train(args: string[]) {
  const start = performance.now();
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", "--backend", "cpu", "--dashboard", "off", ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(run.stdout);
  if (!run.success) throw new Error(`train ${args.join(" ")} failed:\n${text}`);
  const losses = [...text.matchAll(/^epoch +\d+\/\d+ train loss ([\d.]+)/gm)].map((m) =>
    Number(m[1])
  );
  const accuracy = Number(text.match(/final test accuracy ([\d.]+)%/)?.[1] ?? NaN);
  return { text, accuracy, losses, seconds: (performance.now() - start) / 1000 };
}

/** PyTorch's LeNet-5 run for `seed`: its final test accuracy and mean seconds per epoch. */
async function torchLenet(seed: number): Promise<{ accuracy: number; epochSeconds: number }> {
  const script = new URL("../../bench/torch_conv.py", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
    args: [script, "fashion", String(EPOCHS), String(seed)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr).trim());
  const epochs = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
  const seconds = epochs.reduce((s: number, e: { seconds: number }) => s + e.seconds, 0);
  return { accuracy: 100 * epochs[epochs.length - 1].test_acc, epochSeconds: seconds / EPOCHS };
}

/** `run(item)` for every item, `jobs` at a time, results in the items' order. */
async function pool<T, R>(items: readonly T[], jobs: number, run: (t: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const lines: string[] = [];
let ok = true;
const check = (pass: boolean, line: string) => {
  ok &&= pass;
  lines.push(`- ${line}: ${pass ? "PASS" : "FAIL"}`);
  console.log(lines[lines.length - 1]);
};

let peer: { accuracy: number; epochSeconds: number }[] | string;
try {
  peer = await pool(SEEDS, 1, torchLenet);
} catch (e) {
  peer = `PyTorch unavailable: ${(e as Error).message}`;
}
const lenet = await pool(SEEDS, JOBS, (seed) =>
  train([
    "--model=lenet5",
    "--data=fashion-mnist",
    `--epochs=${EPOCHS}`,
    `--seed=${seed}`,
    `--out=${dir}/lenet-${seed}`,
  ]));
const ours = lenet.map((r) => r.accuracy);
const seedTable = [
  "| seed | gradmesh | PyTorch |",
  "| ---: | ---: | ---: |",
  ...SEEDS.map((seed, i) =>
    `| ${seed} | ${ours[i].toFixed(2)}% | ${
      typeof peer === "string" ? "–" : peer[i].accuracy.toFixed(2) + "%"
    } |`
  ),
];
if (typeof peer === "string") {
  check(false, `LeNet-5 on Fashion-MNIST: gradmesh mean ${mean(ours).toFixed(2)}%, ${peer}`);
} else {
  const theirs = peer.map((p) => p.accuracy);
  const gap = Math.abs(mean(ours) - mean(theirs));
  const ourEpoch = mean(lenet.map((r) => r.seconds)) / EPOCHS;
  seedTable.push(`| mean | ${mean(ours).toFixed(2)}% | ${mean(theirs).toFixed(2)}% |`);
  check(
    gap <= 0.5,
    `LeNet-5 on Fashion-MNIST, ${EPOCHS} epochs, seeds ${SEEDS.join(", ")}: gradmesh mean ` +
      `${mean(ours).toFixed(2)}% (${ourEpoch.toFixed(0)} s/epoch incl. evaluation, CPU ` +
      `backend, ${JOBS} runs at a time), PyTorch mean ${mean(theirs).toFixed(2)}% ` +
      `(${mean(peer.map((p) => p.epochSeconds)).toFixed(0)} s/epoch, alone); gap ` +
      `${gap.toFixed(2)} points (needs <= 0.5)`,
  );
}

await writeSyntheticCifar10(`${dir}/cifar`, 320, 64);
const resnet = await train([
  "--model=resnet20",
  `--data=cifar10:${dir}/cifar`,
  "--epochs=3",
  "--batch-size=32",
  "--random-crop=4",
  "--hflip",
  `--out=${dir}/resnet`,
]);
check(
  resnet.losses.length === 3 && resnet.losses[2] < resnet.losses[0],
  `ResNet-20 on 320 synthetic CIFAR-10-format images, batch 32, 3 epochs with crop and flip: train ` +
    `loss ${resnet.losses.map((l) => l.toFixed(3)).join(" → ")}, test accuracy ${resnet.accuracy}%`,
);

const bnMlp = await train([
  "--model=flatten,linear(128),relu,linear(10),bn",
  "--epochs=3",
  `--out=${dir}/bn-mlp`,
]);
check(
  bnMlp.accuracy > 90,
  `MLP 784-128-10 with BatchNorm1d after the last linear, bundled digits, 3 epochs: test ` +
    `accuracy ${bnMlp.accuracy}% (needs > 90%)`,
);

if (Deno.args.includes("--write")) {
  const head = machineLine("deno task accept:conv --write");
  await replaceSection(
    "conv-acceptance",
    `## Convolutional nets: acceptance runs\n\n${head}\n\n${lines.join("\n")}\n\n` +
      `LeNet-5 test accuracy per seed (\`train --model lenet5 --data fashion-mnist --epochs ` +
      `${EPOCHS} --seed S\`; \`bench/torch_conv.py fashion ${EPOCHS} S\`):\n\n` +
      `${seedTable.join("\n")}\n`,
  );
}
await Deno.remove(dir, { recursive: true });
Deno.exit(ok ? 0 : 1);
