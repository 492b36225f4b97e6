/**
 * `deno task bench`: matmul GFLOP/s at n = 256, 512, 1024 and the time of one MLP
 * 784-128-10 SGD training step at batch 64 and 1024, for the CPU and WebGPU backends,
 * with PyTorch measured in the same run when `/usr/bin/python3` has torch (CUDA too when
 * it sees a GPU). Prints a Markdown table and, with `--write`, records it in
 * bench/RESULTS.md (section `BENCH_SECTION`, default `engine`). `--gpu-only` leaves out the
 * CPU columns and adds the sizes of the issue's GPU goals (matmul 4096³, an MLP
 * 784-256-128-10 step at batch 1024); `--hardware-only` refuses a software adapter (`deno task bench:gpu` uses
 * both, so it records only a real GPU).
 *
 * How the WebGPU backend is timed: inputs and the step's buffers are allocated before the
 * timed run (the pool reuses them; the bench fails if the run creates a buffer), every
 * repetition is submitted or awaited in turn, and the run ends with a single read-back.
 * "wall" is that run's elapsed time per repetition; "GPU" is the device's own time per
 * repetition from timestamp queries written first and last in every submit (where the
 * adapter has `timestamp-query`), read only after the run. Dispatches and submits per
 * step come from the backend's counters. The 1024³ line through the public API is the
 * issue's yardstick: `matmul` on two 1024×1024 tensors, 20 products, one read, with the
 * tuned variant and, in the same run, pinned to the tile that preceded the family.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { createFastCpuBackend, defaultThreads } from "../cpu/backend.ts";
import { matmul } from "../core/ops.ts";
import { Rng } from "../core/rng.ts";
import { tensor } from "../core/tensor.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import { createWebGpuBackend, type WebGpuBackend } from "../gpu/backend.ts";
import { acquireGpu, type Gpu } from "../gpu/device.ts";
import { GpuClock } from "../gpu/gpu_clock.ts";
import { publicMatmul } from "./public_matmul.ts";
import { machineLine, refuseSoftware, replaceSection } from "./results.ts";

const gpuOnly = Deno.args.includes("--gpu-only");
/** Matmul sizes; on a GPU also 4096³, the size of the issue's throughput goal. */
const SIZES = gpuOnly ? [256, 512, 1024, 4096] : [256, 512, 1024];
/** MLP steps as `model@batch`; on a GPU also the issue's 784-256-128-10 at batch 1024. */
const STEPS = [
  "784-128-10@64",
  "784-128-10@1024",
  ...(gpuOnly ? ["784-256-128-10@1024"] : []),
];
/** The variant with the tile that Backend.matmul had before the family (and GPUs' default). */
const BEFORE = "tiled-64x64";

/** A time per repetition, by the wall clock and (WebGPU with timestamps) by the GPU. */
interface Timing {
  wallMs: number;
  gpuMs?: number;
  dispatches?: number;
  submits?: number;
}

/** One backend's (or PyTorch's) results. */
interface Column {
  name: string;
  matmul: Record<number, Timing>;
  /** By `model@batch`. */
  step: Record<string, Timing>;
  /** The matmul variant per size (WebGPU). */
  variant?: Record<number, string>;
}

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform());
}

function isGpu(b: Backend): b is WebGpuBackend {
  return b.name === "webgpu";
}

/**
 * Times `reps` repetitions of `rep` (each awaited), ended by one `finish` (the single
 * read-back), after one warm-up repetition that also sizes the run to about `minMs`.
 */
async function timeReps(
  backend: Backend,
  rep: () => Promise<void> | void,
  finish: () => Promise<unknown>,
  minMs: number,
): Promise<Timing> {
  const gpu = isGpu(backend) ? backend : null;
  let t0 = performance.now();
  const submits0 = gpu?.stats.submits ?? 0;
  await rep();
  await finish();
  const warmMs = performance.now() - t0;
  const submitsPerRep = (gpu?.stats.submits ?? 0) - submits0;
  const reps = Math.max(3, Math.min(200, Math.ceil(minMs / warmMs)));
  const clock = gpu?.gpu.hasTimestampQuery
    ? new GpuClock(gpu.gpu.device, reps * submitsPerRep + 4)
    : null;
  gpu?.attachClock(clock);
  const before = gpu ? { ...gpu.stats } : null;
  t0 = performance.now();
  for (let i = 0; i < reps; i++) await rep();
  const after = gpu ? { ...gpu.stats } : null;
  await finish();
  const wallMs = (performance.now() - t0) / reps;
  gpu?.attachClock(null);
  const timing: Timing = { wallMs };
  if (before && after) {
    if (after.buffersCreated !== before.buffersCreated) {
      throw new Error("the timed run created GPU buffers: it would time allocation");
    }
    timing.dispatches = (after.dispatches - before.dispatches) / reps;
    timing.submits = (after.submits - before.submits) / reps;
  }
  if (clock && before && after) {
    // Spans after the repetitions' submits belong to the final read-back.
    const spans = (await clock.read()).slice(0, after.submits - before.submits);
    timing.gpuMs = spans.reduce((s, x) => s + x, 0) / reps;
    clock.destroy();
  }
  return timing;
}

async function measure(name: string, backend: Backend, minMs: number): Promise<Column> {
  const rng = new Rng(1);
  const col: Column = { name, matmul: {}, step: {}, variant: isGpu(backend) ? {} : undefined };
  for (const n of SIZES) {
    const a = backend.upload(random(n * n, rng), true);
    const b = backend.upload(random(n * n, rng), true);
    // Warm up (and, on a new adapter, tune) outside the timing.
    await backend.read(backend.matmul({ a, b, m: n, k: n, n }));
    backend.endStep();
    let c = backend.zeros(1);
    col.matmul[n] = await timeReps(
      backend,
      () => {
        c = backend.matmul({ a, b, m: n, k: n, n });
        backend.endStep();
      },
      () => backend.read(c),
      minMs,
    );
    if (isGpu(backend)) col.variant![n] = backend.matmulVariant(n, n, n, false, false);
  }
  for (const key of STEPS) {
    const [model, rows] = key.split("@");
    const batch = Number(rows);
    const trainer = buildTrainer({ ...defaultTrainConfig, model }, backend);
    const data = {
      x: random(batch * 784, rng),
      y: Float32Array.from({ length: batch }, () => rng.int(10)),
      rows: batch,
    };
    await trainer.step(data, batch);
    await trainer.takeTrainMetrics();
    col.step[key] = await timeReps(
      backend,
      () => trainer.step(data, batch),
      () => trainer.takeTrainMetrics(),
      minMs,
    );
  }
  return col;
}

async function torchColumn(device: "cpu" | "cuda"): Promise<Column | string> {
  const script = new URL("./torch_engine.py", import.meta.url).pathname;
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, device, SIZES.join(","), STEPS.join(",")],
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `PyTorch ${device} skipped: ${
        new TextDecoder().decode(out.stderr).trim().split("\n").pop()
      }`;
    }
    const r = JSON.parse(new TextDecoder().decode(out.stdout));
    const wall = (rec: Record<string, number>) =>
      Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, { wallMs: v }]));
    return {
      name: `PyTorch ${r.device}`,
      // torch_engine.py reports GFLOP/s; kept as ms per product like ours.
      matmul: Object.fromEntries(
        Object.entries(r.matmul_gflops as Record<string, number>).map((
          [n, g],
        ) => [n, { wallMs: (2 * Number(n) ** 3) / (g * 1e9) * 1000 }]),
      ),
      step: wall(r.mlp_step_ms),
    };
  } catch (e) {
    return `PyTorch ${device} skipped: ${(e as Error).message}`;
  }
}

const gflops = (n: number, ms: number | undefined) =>
  ms === undefined ? "–" : ((2 * n ** 3) / (ms / 1000) / 1e9).toFixed(2);
const fixed = (v: number | undefined, digits = 2) => (v === undefined ? "–" : v.toFixed(digits));

function table(cols: Column[]): string {
  // A WebGPU column shows wall and GPU time side by side.
  const heads = cols.flatMap((c) =>
    c.variant ? [`${c.name}, wall`, `${c.name}, GPU time`] : [c.name]
  );
  const cells = (pick: (c: Column, gpuTime: boolean) => string) =>
    cols.flatMap((c) => (c.variant ? [pick(c, false), pick(c, true)] : [pick(c, false)]))
      .join(" | ");
  const rows = [
    ...SIZES.map((n) =>
      `| matmul ${n}³ GFLOP/s | ${
        cells((c, g) => gflops(n, g ? c.matmul[n].gpuMs : c.matmul[n].wallMs))
      } |`
    ),
    ...STEPS.map((b) =>
      `| MLP ${b.replace("@", " step, batch ")} (ms) | ${
        cells((c, g) => fixed(g ? c.step[b].gpuMs : c.step[b].wallMs))
      } |`
    ),
    ...STEPS.map((b) =>
      `| dispatches / submits per step, ${b.replace("@", " batch ")} | ${
        cells((c) =>
          c.variant ? `${fixed(c.step[b].dispatches, 0)} / ${fixed(c.step[b].submits, 0)}` : "–"
        )
      } |`
    ),
  ];
  return [
    `| measure | ${heads.join(" | ")} |`,
    `| --- |${heads.map(() => " ---: |").join("")}`,
    ...rows,
  ].join("\n");
}

function ratios(cols: Column[], peer: Column): string {
  return cols.filter((c) => c !== peer).map((c) => {
    const mm = SIZES.map((n) => `${n}: ${(c.matmul[n].wallMs / peer.matmul[n].wallMs).toFixed(1)}×`)
      .join(", ");
    const st = STEPS.map((b) => `${b}: ${(c.step[b].wallMs / peer.step[b].wallMs).toFixed(1)}×`)
      .join(", ");
    return `- ${c.name} vs ${peer.name} (wall): matmul slower by ${mm}; MLP step slower by ${st}`;
  }).join("\n");
}

async function gpuLines(gpu: Gpu, col: Column): Promise<string[]> {
  const variants = SIZES.map((n) => `${n}³ ${col.variant![n]}`).join(", ");
  const api = { matmul, tensor } as Parameters<typeof publicMatmul>[0];
  const tuned = await publicMatmul(api, createWebGpuBackend(gpu), 1024, 20);
  const before = await publicMatmul(
    api,
    createWebGpuBackend(gpu, { matmulVariant: BEFORE }),
    1024,
    20,
  );
  return [
    `matmul variants chosen on this adapter: ${variants}`,
    `matmul 1024³ through the public API (20 products, one read): ${tuned.toFixed(2)} ` +
    `GFLOP/s tuned, ${before.toFixed(2)} pinned to ${BEFORE} (the former tile), ` +
    `${(tuned / before).toFixed(2)}× in this run`,
    `GPU time: ${
      gpu.hasTimestampQuery
        ? "timestamp queries around each submit"
        : "not available (no timestamp-query)"
    }`,
  ];
}

if (import.meta.main) {
  const write = Deno.args.includes("--write");
  const minMs = Number(Deno.env.get("BENCH_MIN_MS") ?? 1000);
  const load = Deno.loadavg()[0];
  const cols: Column[] = [];
  const notes: string[] = [];
  if (!gpuOnly) {
    const fast = await createFastCpuBackend({ threads: defaultThreads() });
    cols.push(await measure(`gradmesh cpu (${fast.description})`, fast, minMs));
    fast.destroy();
    cols.push(await measure("gradmesh cpu-ref", createCpuBackend(), minMs));
  }
  try {
    const gpu = await acquireGpu();
    refuseSoftware(gpu);
    const col = await measure(`webgpu (${gpu.description})`, createWebGpuBackend(gpu), minMs);
    cols.push(col);
    notes.push(...await gpuLines(gpu, col));
  } catch (e) {
    notes.push(`WebGPU skipped: ${(e as Error).message}`);
  }
  for (const device of gpuOnly ? ["cuda" as const] : ["cpu", "cuda"] as const) {
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
    `- 1-minute load average when the run started: ${load.toFixed(2)}`,
  ].join("\n");
  console.log(text);
  if (write) {
    // BENCH_SECTION keeps runs on other machines (the H100) beside this one's.
    const section = Deno.env.get("BENCH_SECTION") ?? "engine";
    const head = machineLine(`deno task bench -- ${Deno.args.join(" ")}`);
    await replaceSection(
      section,
      `## Engine: matmul and MLP step (${section})\n\n${head}\n\n${text}\n`,
    );
  }
}
