/**
 * `deno task bench:train`: epoch time and samples/s of the default `train` configuration
 * (MLP 784-128-10, SGD, batch 64, bundled MNIST) against PyTorch CPU on the same data and
 * machine in one run (`/work/shared/peers/torch_mlp.py`, or `PEERS_DIR`). With `--write`,
 * records the table in bench/RESULTS.md.
 *
 * @module
 */

import { loadDataset } from "../core/data/source.ts";
import { defaultTrainConfig } from "../core/train/config.ts";
import { fitConfig } from "../core/train/fit_config.ts";
import { type BackendKind, chooseBackend, type CpuSettings } from "../backends/backend_choice.ts";
import { machineLine, replaceSection } from "./results.ts";

const EPOCHS = Number(Deno.env.get("BENCH_EPOCHS") ?? 3);

async function ours(
  kind: BackendKind,
  cpu: CpuSettings = {},
): Promise<{ label: string; epochSeconds: number; accuracy: number }> {
  const { backend, reason } = await chooseBackend(kind, cpu);
  const data = await loadDataset("mnist");
  try {
    const result = await fitConfig({ ...defaultTrainConfig, epochs: EPOCHS }, backend, data, {
      checkpointPath: null,
      metricsPath: null,
      evalEvery: EPOCHS,
      logEvery: 1000,
    });
    // The first epoch includes compiling kernels and warming the JIT: report the rest.
    const later = result.epochs.slice(1);
    const epochSeconds = later.reduce((s, e) => s + e.seconds, 0) / later.length;
    return {
      label: `gradmesh ${backend.name} (${reason})`,
      epochSeconds,
      accuracy: result.final!.accuracy,
    };
  } finally {
    backend.destroy();
  }
}

async function torch(): Promise<
  { label: string; epochSeconds: number; accuracy: number } | string
> {
  const peers = Deno.env.get("PEERS_DIR") ??
    new URL("../../shared/peers", import.meta.url).pathname;
  const digits = new URL(import.meta.resolve("mnist/src/digits/0.json")).pathname.replace(
    /\/0\.json$/,
    "",
  );
  const args = [
    `${peers}/torch_mlp.py`,
    "mnist10k",
    "128",
    "relu",
    String(EPOCHS),
    "0.05",
    "1e-4",
    "0.9",
    "64",
  ];
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args,
      cwd: peers,
      env: { MNIST_DIGITS: digits },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) {
      return `PyTorch skipped: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`;
    }
    const epochs = [...text.matchAll(/test_acc ([\d.]+) epoch_s ([\d.]+)/g)].map((
      m,
    ) => [Number(m[1]), Number(m[2])]);
    const later = epochs.slice(1);
    return {
      label: "PyTorch CPU (torch_mlp.py)",
      epochSeconds: later.reduce((s, [, t]) => s + t, 0) / later.length,
      accuracy: epochs[epochs.length - 1][0],
    };
  } catch (e) {
    return `PyTorch skipped: ${(e as Error).message}`;
  }
}

if (import.meta.main) {
  // The fast CPU backend on its WebAssembly kernels alone, then with OpenBLAS where it loads.
  const rows = [await ours("cpu", { sgemm: "wasm" }), await ours("cpu"), await ours("cpu-ref")];
  const notes: string[] = [];
  try {
    rows.push(await ours("webgpu"));
  } catch (e) {
    notes.push(`WebGPU skipped: ${(e as Error).message}`);
  }
  const peer = await torch();
  if (typeof peer === "string") notes.push(peer);
  else rows.push(peer);
  const samples = 8000;
  const base = typeof peer === "string" ? null : peer.epochSeconds;
  const table = [
    `| run | s/epoch | samples/s | test acc after ${EPOCHS} epochs | time vs PyTorch |`,
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.label} | ${r.epochSeconds.toFixed(3)} | ${Math.round(samples / r.epochSeconds)} | ` +
      `${(r.accuracy * 100).toFixed(2)}% | ${
        base ? (r.epochSeconds / base).toFixed(1) + "×" : "n/a"
      } |`
    ),
    ...notes.map((n) => `\n- ${n}`),
  ].join("\n");
  console.log(table);
  if (Deno.args.includes("--write")) {
    const head = machineLine("deno task bench:train --write");
    await replaceSection(
      "train",
      `## Training: default configuration, epoch time\n\n${head}\n\n${table}\n`,
    );
  }
}
