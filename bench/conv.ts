/**
 * `deno task bench:conv`: ms per training step (SGD, batch 64) of LeNet-5 on 1×28×28 and
 * ResNet-20 on 3×32×32 inputs, gradmesh's backends beside PyTorch CPU in the same run
 * (bench/torch_conv.py; `PYTHON` names the interpreter, default /usr/bin/python3, and
 * `cuda` as the first argument runs PyTorch on the GPU). With `--write`, records the table
 * in bench/RESULTS.md (section `conv`, or `conv-gpu` on a hardware adapter).
 *
 * @module
 */

import { chooseBackend } from "../backends/backend_choice.ts";
import type { Backend } from "../core/backend.ts";
import { defaultTrainConfig } from "../core/train/config.ts";
import { buildTrainer } from "../core/train/config.ts";
import { machineLine, replaceSection } from "./results.ts";

const BATCH = 64;
const MODELS = [
  { model: "lenet5", sampleShape: [1, 28, 28] },
  { model: "resnet20", sampleShape: [3, 32, 32] },
] as const;

/** Timed steps: at least this many, and more until this much time has passed (at most the last). */
const MIN_STEPS = 5, MIN_MS = 1000, MAX_STEPS = 100;

/**
 * Mean ms per training step of `model` after two warm-up steps, as its PyTorch peer times
 * it: steps back to back, at least {@link MIN_STEPS} and more until {@link MIN_MS} have
 * passed (at most {@link MAX_STEPS}), with one read of the step metrics at the end, which
 * waits for the device.
 */
async function stepMs(backend: Backend, model: string, sampleShape: readonly number[]) {
  const trainer = buildTrainer({ ...defaultTrainConfig, model }, backend, {
    sampleShape,
    classes: 10,
  });
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: BATCH * size }, (_, i) => (i * 7919 % 255) / 255);
  const y = Float32Array.from({ length: BATCH }, (_, i) => i % 10);
  const batch = { x, y, rows: BATCH };
  for (let i = 0; i < 2; i++) await trainer.step(batch, BATCH);
  await trainer.takeTrainMetrics();
  const t0 = performance.now();
  let steps = 0;
  while (steps < MIN_STEPS || (performance.now() - t0 < MIN_MS && steps < MAX_STEPS)) {
    await trainer.step(batch, BATCH);
    steps++;
  }
  await trainer.takeTrainMetrics();
  return (performance.now() - t0) / steps;
}

async function torch(device: string): Promise<Record<string, number> | string> {
  const script = new URL("./torch_conv.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, "step", device],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `PyTorch skipped: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`;
    }
    const lines = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
    return Object.fromEntries(lines.map((l) => [l.model, l.step_ms]));
  } catch (e) {
    return `PyTorch skipped: ${(e as Error).message}`;
  }
}

if (import.meta.main) {
  const device = Deno.args.includes("cuda") ? "cuda" : "cpu";
  const rows: { label: string; ms: Record<string, number> }[] = [];
  const notes: string[] = [];
  // A software adapter (llvmpipe) takes minutes per ResNet-20 step: `auto` skips it, as
  // `train` does, and measures WebGPU only on a hardware adapter.
  // The fast CPU backend on its WebAssembly kernels alone, then with OpenBLAS where it loads.
  const choices = [
    await chooseBackend("cpu", { sgemm: "wasm" }),
    await chooseBackend("cpu"),
    await chooseBackend("auto"),
  ];
  for (const [i, { backend, reason }] of choices.entries()) {
    if (i === choices.length - 1 && backend.name === "cpu") {
      notes.push(`WebGPU not measured: ${reason}`);
      backend.destroy();
      continue;
    }
    const ms: Record<string, number> = {};
    for (const m of MODELS) {
      ms[m.model] = await stepMs(backend, m.model, m.sampleShape);
      console.error(`${backend.name} ${m.model}: ${ms[m.model].toFixed(1)} ms/step`);
    }
    rows.push({ label: `gradmesh ${backend.name} (${reason})`, ms });
    backend.destroy();
  }
  const peer = await torch(device);
  if (typeof peer === "string") notes.push(peer);
  else rows.push({ label: `PyTorch ${device}`, ms: peer });
  const base = typeof peer === "string" ? null : peer;
  const cell = (r: (typeof rows)[number], model: string) =>
    `${r.ms[model].toFixed(1)}${base ? ` (${(r.ms[model] / base[model]).toFixed(1)}×)` : ""}`;
  const table = [
    `| run | LeNet-5 ms/step | ResNet-20 ms/step |`,
    "| --- | ---: | ---: |",
    ...rows.map((r) => `| ${r.label} | ${cell(r, "lenet5")} | ${cell(r, "resnet20")} |`),
    ...notes.map((n) => `\n- ${n}`),
  ].join("\n");
  console.log(table);
  if (Deno.args.includes("--write")) {
    const head = machineLine(`deno task bench:conv${device === "cuda" ? " cuda" : ""} --write`);
    const section = device === "cuda" ? "conv-gpu" : "conv";
    const timing = `at least ${MIN_STEPS}, more until ${MIN_MS / 1000} s, at most ${MAX_STEPS}`;
    await replaceSection(
      section,
      `## Convolutional nets: ms per SGD step at batch ${BATCH} (${section})\n\n${head}\n\n` +
        `Mean of back-to-back steps after 2 warm-up steps (${timing}), one read of the ` +
        `metrics at the end, as ` +
        `PyTorch's steps are timed; in parentheses, time relative to PyTorch.\n\n` +
        `${table}\n`,
    );
  }
}
