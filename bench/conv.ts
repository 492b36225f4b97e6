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

/** Timed steps: at least this many, and more until this much time has passed (or the most). */
const MIN_STEPS = 5, MIN_MS = 1000, MAX_STEPS = 100;

/** Median ms of the timed training steps of `model` after two warm-up steps. */
async function stepMs(backend: Backend, model: string, sampleShape: readonly number[]) {
  const trainer = buildTrainer({ ...defaultTrainConfig, model }, backend, {
    sampleShape,
    classes: 10,
  });
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: BATCH * size }, (_, i) => (i * 7919 % 255) / 255);
  const y = Float32Array.from({ length: BATCH }, (_, i) => i % 10);
  const batch = { x, y, rows: BATCH };
  const times: number[] = [];
  let timed = 0;
  for (let i = 0; times.length < MIN_STEPS || (timed < MIN_MS && times.length < MAX_STEPS); i++) {
    const t0 = performance.now();
    await trainer.step(batch, BATCH);
    // Waits for the device: the step's loss is read back only here, outside the loop's timing.
    await trainer.takeTrainMetrics();
    const ms = performance.now() - t0;
    if (i >= 2) times.push(ms), timed += ms;
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
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
    await replaceSection(
      section,
      `## Convolutional nets: ms per SGD step at batch ${BATCH} (${section})\n\n${head}\n\n` +
        `Median of the steps timed after 2 warm-up steps (at least ${MIN_STEPS}, and more until ` +
        `${
          MIN_MS / 1000
        } s have passed, at most ${MAX_STEPS}; PyTorch: the mean over at least 1 s); ` +
        `in parentheses, time relative to PyTorch.\n\n` +
        `${table}\n`,
    );
  }
}
