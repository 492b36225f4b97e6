/**
 * Picks the compute backend for `--backend auto|webgpu|cpu|cpu-ref`. `cpu` is the fast CPU
 * backend (WebAssembly SIMD kernels on `--threads` threads, OpenBLAS for large products where
 * it loads: `cpu/backend.ts`); `cpu-ref` is the plain TypeScript reference. `auto` takes
 * WebGPU on a hardware adapter; on a software adapter (Mesa llvmpipe/lavapipe) or none, the
 * fast CPU backend — measured faster in bench/RESULTS.md.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { createFastCpuBackend, defaultThreads } from "../cpu/backend.ts";
import { createWebGpuBackend } from "../gpu/backend.ts";
import { acquireGpu, GpuUnavailableError } from "../gpu/device.ts";

/** The values of `--backend`. */
export type BackendKind = "auto" | "webgpu" | "cpu" | "cpu-ref";

/** Settings of the fast CPU backend, from `--threads` and `--sgemm`. */
export interface CpuSettings {
  /** Kernel threads; 0 takes the cores Deno sees, split between `workers` processes. */
  threads?: number;
  /** Worker processes on this machine sharing its cores (`--workers`). */
  workers?: number;
  /** `auto` (system OpenBLAS when it loads), `wasm`, or a BLAS library path. */
  sgemm?: string;
}

/** The chosen backend and a one-line reason for logs. */
export interface BackendChoice {
  backend: Backend;
  reason: string;
}

async function fastCpu(settings: CpuSettings, why: string): Promise<BackendChoice> {
  const threads = settings.threads || defaultThreads(settings.workers ?? 1);
  let backend;
  try {
    backend = await createFastCpuBackend({ threads, sgemm: settings.sgemm ?? "auto" });
  } catch (e) {
    // `auto` settles for the reference when a permission keeps the kernels from loading.
    if (!why || !(e instanceof Deno.errors.NotCapable)) throw e;
    const reason = `TypeScript reference: fast CPU backend unavailable (${(e as Error).message})`;
    return { backend: createCpuBackend(), reason: `${reason}; ${why}` };
  }
  return { backend, reason: why ? `${backend.description}; ${why}` : backend.description };
}

/**
 * Chooses a backend; `webgpu` fails with an install hint when no adapter exists. The reason
 * of a CPU choice starts with the backend's description (SIMD level, threads, sgemm).
 */
export async function chooseBackend(
  kind: BackendKind,
  cpu: CpuSettings = {},
): Promise<BackendChoice> {
  if (kind === "cpu-ref") return { backend: createCpuBackend(), reason: "TypeScript reference" };
  if (kind === "cpu") return await fastCpu(cpu, "");
  let gpu;
  try {
    gpu = await acquireGpu();
  } catch (e) {
    if (kind === "auto" && e instanceof GpuUnavailableError) {
      return await fastCpu(cpu, `no WebGPU adapter (${(e as Error).message})`);
    }
    throw e;
  }
  const adapter = gpu.description;
  if (kind === "auto" && gpu.isSoftware) {
    gpu.device.destroy();
    return await fastCpu(cpu, `adapter "${adapter}" is a software rasteriser`);
  }
  return { backend: createWebGpuBackend(gpu), reason: `adapter "${adapter}"` };
}
