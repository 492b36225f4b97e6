/**
 * `deno task bench`: matmul GFLOP/s at n = 256, 512, 1024 and the time of one MLP
 * 784-128-10 SGD training step at batch 64 and 1024, for the CPU and WebGPU backends,
 * with PyTorch measured in the same run when `/usr/bin/python3` has torch (CUDA too when
 * it sees a GPU). Prints a Markdown table and, with `--write`, records it in
 * bench/RESULTS.md.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { Rng } from "../core/rng.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import { createWebGpuBackend } from "../gpu/backend.ts";
import { acquireGpu } from "../gpu/device.ts";
import { machineLine, replaceSection } from "./results.ts";

const SIZES = [256, 512, 1024];
const BATCHES = [64, 1024];

/** One column of the table. */
interface Column {
  name: string;
  matmul: Record<number, number>;
  step: Record<number, number>;
}

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform());
}

// Runs `fn` until `minMs` elapsed (at least once after a warm-up); `sync` waits for the device.
async function timeIt(
  fn: () => void,
  sync: () => Promise<unknown>,
  minMs: number,
): Promise<number> {
  fn();
  await sync();
  let reps = 0;
  const t0 = performance.now();
  while (reps === 0 || performance.now() - t0 < minMs) {
    fn();
    reps++;
    if (reps % 8 === 0) await sync();
  }
  await sync();
  return (performance.now() - t0) / reps;
}

async function measure(name: string, backend: Backend, minMs: number): Promise<Column> {
  const rng = new Rng(1);
  const col: Column = { name, matmul: {}, step: {} };
  for (const n of SIZES) {
    const a = backend.upload(random(n * n, rng), true);
    const b = backend.upload(random(n * n, rng), true);
    let c = backend.zeros(1);
    const ms = await timeIt(
      () => {
        c = backend.matmul({ a, b, m: n, k: n, n });
        backend.flush();
      },
      () => backend.read(c),
      minMs,
    );
    backend.endStep();
    col.matmul[n] = (2 * n ** 3) / (ms / 1000) / 1e9;
  }
  for (const batch of BATCHES) {
    const trainer = buildTrainer(defaultTrainConfig, backend);
    const data = {
      x: random(batch * 784, rng),
      y: Float32Array.from({ length: batch }, () => rng.int(10)),
      rows: batch,
    };
    const ms = await timeIt(
      () => void trainer.step(data, batch),
      () => trainer.takeTrainMetrics(),
      minMs,
    );
    col.step[batch] = ms;
  }
  return col;
}

async function torchColumn(device: "cpu" | "cuda"): Promise<Column | string> {
  const script = new URL("./torch_engine.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, device],
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `PyTorch ${device} skipped: ${
        new TextDecoder().decode(out.stderr).trim().split("\n").pop()
      }`;
    }
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    return { name: `PyTorch ${r.device}`, matmul: r.matmul_gflops, step: r.mlp_step_ms };
  } catch (e) {
    return `PyTorch ${device} skipped: ${(e as Error).message}`;
  }
}

function table(cols: Column[]): string {
  const head = `| measure | ${cols.map((c) => c.name).join(" | ")} |`;
  const sep = `| --- |${cols.map(() => " ---: |").join("")}`;
  const rows = [
    ...SIZES.map((n) =>
      `| matmul ${n}³ GFLOP/s | ${cols.map((c) => c.matmul[n].toFixed(2)).join(" | ")} |`
    ),
    ...BATCHES.map((b) =>
      `| MLP step, batch ${b} (ms) | ${cols.map((c) => c.step[b].toFixed(2)).join(" | ")} |`
    ),
  ];
  return [head, sep, ...rows].join("\n");
}

function ratios(cols: Column[], peer: Column): string {
  return cols.filter((c) => c !== peer).map((c) => {
    const mm = SIZES.map((n) => `${n}: ${(peer.matmul[n] / c.matmul[n]).toFixed(1)}×`).join(", ");
    const st = BATCHES.map((b) => `${b}: ${(c.step[b] / peer.step[b]).toFixed(1)}×`).join(", ");
    return `- ${c.name} vs ${peer.name}: matmul slower by ${mm}; MLP step slower by ${st}`;
  }).join("\n");
}

if (import.meta.main) {
  const write = Deno.args.includes("--write");
  const minMs = Number(Deno.env.get("BENCH_MIN_MS") ?? 1000);
  const cols: Column[] = [];
  const notes: string[] = [];
  cols.push(await measure("gradmesh cpu", createCpuBackend(), minMs));
  try {
    const gpu = await acquireGpu();
    cols.push(
      await measure(`gradmesh webgpu (${gpu.description})`, createWebGpuBackend(gpu), minMs),
    );
  } catch (e) {
    notes.push(`WebGPU skipped: ${(e as Error).message}`);
  }
  for (const device of ["cpu", "cuda"] as const) {
    const c = await torchColumn(device);
    if (typeof c === "string") notes.push(c);
    else cols.push(c);
  }
  const peers = cols.filter((c) => c.name.startsWith("PyTorch"));
  const text = [
    table(cols),
    "",
    ...peers.map((p) => ratios(cols.filter((c) => !c.name.startsWith("PyTorch")), p)),
    ...notes.map((n) => `- ${n}`),
  ].join("\n");
  console.log(text);
  if (write) {
    // BENCH_SECTION keeps runs on other machines (the H100) beside this one's.
    const section = Deno.env.get("BENCH_SECTION") ?? "engine";
    const head = machineLine("deno task bench -- --write");
    await replaceSection(
      section,
      `## Engine: matmul and MLP step (${section})\n\n${head}\n\n${text}\n`,
    );
  }
}
