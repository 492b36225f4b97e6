/**
 * `deno task bench:cpu`: fp32 matmul GFLOP/s at n = 256, 512, 1024 on 1 and 2 threads, for the
 * fast CPU backend's WebAssembly GEMM and its OpenBLAS path, beside PyTorch with
 * `torch.set_num_threads` and its BLAS's threads at the same count, in one run; and the SIMD128 peak of one core,
 * measured by a register-only loop of f32x4 multiply-adds in WebAssembly (`simd_peak` in
 * cpu/kernels/peak.c; relaxed multiply-add where the engine has it), so that the GEMM can be
 * given as a fraction of it. With `--write`, records the table in bench/RESULTS.md.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { createFastCpuBackend } from "../cpu/backend.ts";
import { loadKernels } from "../cpu/kernels.ts";
import { machineLine, replaceSection } from "./results.ts";

const SIZES = [256, 512, 1024];
const THREADS = [1, 2];
const MIN_MS = 300;

/** GFLOP/s of one core's register-only f32x4 multiply-add loop, and the SIMD level. */
async function simdPeak(): Promise<{ gflops: number; simd: string }> {
  const { module, simd } = await loadKernels();
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 32768, shared: true });
  const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
  const peak = exports.simd_peak as (iterations: number) => number;
  const iterations = 20_000_000;
  peak(iterations / 10);
  let best = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    peak(iterations);
    best = Math.max(best, (iterations * 96) / ((performance.now() - t0) * 1e6));
  }
  return { gflops: best, simd };
}

/**
 * GFLOP/s of `n`³ products whose operands are the backend's own storages (as a model's weights
 * and activations are: in the kernels' memory), one product per step.
 */
function matmulGflops(backend: Backend, n: number): number {
  const host = (mod: number) =>
    Float32Array.from({ length: n * n }, (_, i) => (i % mod) / mod - 0.5);
  const a = backend.upload(host(17), true), b = backend.upload(host(13), true);
  backend.matmul({ a, b, m: n, k: n, n });
  backend.endStep();
  let reps = 0;
  const t0 = performance.now();
  while (reps === 0 || performance.now() - t0 < MIN_MS) {
    backend.matmul({ a, b, m: n, k: n, n });
    backend.endStep();
    reps++;
  }
  return (2 * n ** 3 * reps) / ((performance.now() - t0) * 1e6);
}

/** PyTorch's GFLOP/s per size on `threads` threads, its BLAS pinned to as many. */
async function torch(threads: number): Promise<Record<number, number> | string> {
  const script = new URL("./torch_cpu.py", import.meta.url).pathname;
  const n = String(threads);
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, n],
      env: { OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(new TextDecoder().decode(out.stderr).trim().split("\n").pop());
    }
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } catch (e) {
    return `PyTorch skipped: ${(e as Error).message}`;
  }
}

if (import.meta.main) {
  const peak = await simdPeak();
  console.error(`SIMD128 peak (${peak.simd}, one core): ${peak.gflops.toFixed(1)} GFLOP/s`);
  const rows: { label: string; threads: number; gflops: number[] }[] = [];
  const notes: string[] = [];
  for (const sgemm of ["wasm", "auto"] as const) {
    for (const threads of THREADS) {
      const backend = await createFastCpuBackend({ threads, sgemm });
      try {
        if (sgemm === "auto" && !backend.description.includes("sgemm: openblas")) {
          notes.push(`OpenBLAS not measured: ${backend.description}`);
          break;
        }
        const gflops = SIZES.map((n) => matmulGflops(backend, n));
        const label = sgemm === "wasm"
          ? `wasm ${peak.simd}`
          : `OpenBLAS (FFI), ${backend.description.split("openblas (")[1].slice(0, -1)} kernels`;
        rows.push({ label, threads, gflops });
        console.error(`${label}, ${threads} threads: ${gflops.map((g) => g.toFixed(1)).join(" ")}`);
      } finally {
        backend.destroy();
      }
    }
  }
  const peer: Record<number, Record<number, number>> = {};
  for (const t of THREADS) {
    const res = await torch(t);
    if (typeof res === "string") notes.push(res);
    else {
      peer[t] = res;
      rows.push({ label: "PyTorch", threads: t, gflops: SIZES.map((n) => res[n]) });
    }
  }
  const torchAt = (t: number, i: number) => peer[t]?.[SIZES[i]] ?? null;
  const cell = (r: (typeof rows)[number], i: number) => {
    const g = r.gflops[i];
    const vsPeak = r.label.startsWith("wasm")
      ? `, ${(100 * g / (peak.gflops * r.threads)).toFixed(0)}% of peak`
      : "";
    const base = torchAt(r.threads, i);
    const vsTorch = base && r.label !== "PyTorch" ? `, ${(g / base).toFixed(2)}× PyTorch` : "";
    return `${g.toFixed(1)}${vsPeak}${vsTorch}`;
  };
  const table = [
    `| GFLOP/s (fp32 matmul) | threads | ${SIZES.map((n) => `${n}³`).join(" | ")} |`,
    `| --- | ---: | ${SIZES.map(() => "---:").join(" | ")} |`,
    ...rows.map((r) =>
      `| ${r.label} | ${r.threads} | ${SIZES.map((_, i) => cell(r, i)).join(" | ")} |`
    ),
  ];
  const wasm = rows.filter((r) => r.label.startsWith("wasm"));
  const scaling = wasm.length === 2
    ? `wasm GEMM speed-up from 1 to 2 threads: ${
      SIZES.map((n, i) => `${n}³ ${(wasm[1].gflops[i] / wasm[0].gflops[i]).toFixed(2)}×`).join(", ")
    }.`
    : "";
  const body = [
    "## Fast CPU backend: fp32 GEMM, WebAssembly and OpenBLAS beside PyTorch (cpu-gemm)",
    "",
    machineLine("deno task bench:cpu --write"),
    "",
    `SIMD128 peak of one core: ${
      peak.gflops.toFixed(1)
    } GFLOP/s (${peak.simd}; a register-only loop of twelve independent f32x4 multiply-add chains in WebAssembly, best of 3 runs of 20M iterations × 96 flops; the 2-thread peak is taken as twice that).`,
    "",
    ...table,
    "",
    ...(scaling ? [scaling, ""] : []),
    ...notes.map((n) => `${n}\n`),
  ].join("\n");
  console.log(body);
  if (Deno.args.includes("--write")) await replaceSection("cpu-gemm", body);
}
