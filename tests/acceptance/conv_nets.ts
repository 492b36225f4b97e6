/**
 * `deno task accept:conv`: the convolutional acceptance runs, as a user starts them.
 *
 * 1. `--model lenet5 --data fashion-mnist` (SGD lr 0.05, momentum 0.9, weight decay 1e-4,
 *    batch 64: `train`'s defaults) against PyTorch's LeNet-5 (bench/torch_conv.py) for the
 *    same epochs in the same run: test accuracies within half a point.
 * 2. `--model resnet20` on a small synthetic CIFAR-10 set written in the binary format, with
 *    random crop and flip: the training loss falls (small, because a ResNet-20 step takes
 *    seconds on the CPU backend).
 * 3. An MLP with BatchNorm after its last linear layer (a layer stack) on the bundled
 *    digits: it trains (test accuracy above 90%).
 *
 * `LENET_EPOCHS` (default 3) sets the epochs of run 1; `--write` records the results in
 * bench/RESULTS.md. Exits 1 when a check fails.
 *
 * @module
 */

import { machineLine, replaceSection } from "../../bench/results.ts";
import { writeSyntheticCifar10 } from "../cifar_fixture.ts";

const EPOCHS = Number(Deno.env.get("LENET_EPOCHS") ?? 3);
const main = new URL("../../cli/main.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "gradmesh-accept-conv-" });

/** Runs `train args`; returns its stdout, its epoch lines' numbers and its wall time. */
async function train(args: string[]) {
  const start = performance.now();
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "train", "--backend", "cpu", ...args],
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

async function torchLenet(): Promise<{ accuracy: number; epochSeconds: number } | string> {
  const script = new URL("../../bench/torch_conv.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, "fashion", String(EPOCHS), "0"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) return `PyTorch failed: ${new TextDecoder().decode(out.stderr).trim()}`;
    const epochs = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const last = epochs[epochs.length - 1];
    const seconds = epochs.reduce((s: number, e: { seconds: number }) => s + e.seconds, 0);
    return { accuracy: 100 * last.test_acc, epochSeconds: seconds / epochs.length };
  } catch (e) {
    return `PyTorch unavailable: ${(e as Error).message}`;
  }
}

const lines: string[] = [];
let ok = true;
const check = (pass: boolean, line: string) => {
  ok &&= pass;
  lines.push(`- ${line}: ${pass ? "PASS" : "FAIL"}`);
  console.log(lines[lines.length - 1]);
};

const lenet = await train([
  "--model=lenet5",
  "--data=fashion-mnist",
  `--epochs=${EPOCHS}`,
  `--out=${dir}/lenet`,
]);
const peer = await torchLenet();
if (typeof peer === "string") {
  check(false, `LeNet-5 on Fashion-MNIST: gradmesh ${lenet.accuracy}%, ${peer}`);
} else {
  const gap = Math.abs(lenet.accuracy - peer.accuracy);
  check(
    gap <= 0.5,
    `LeNet-5 on Fashion-MNIST, ${EPOCHS} epochs: gradmesh ${lenet.accuracy.toFixed(2)}% ` +
      `(${(lenet.seconds / EPOCHS).toFixed(0)} s/epoch incl. evaluation, CPU backend), ` +
      `PyTorch ${peer.accuracy.toFixed(2)}% (${peer.epochSeconds.toFixed(0)} s/epoch); ` +
      `gap ${gap.toFixed(2)} points (needs <= 0.5)`,
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
    `## Convolutional nets: acceptance runs\n\n${head}\n\n${lines.join("\n")}\n`,
  );
}
await Deno.remove(dir, { recursive: true });
Deno.exit(ok ? 0 : 1);
