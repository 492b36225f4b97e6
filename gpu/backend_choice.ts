/**
 * Picks the compute backend for `--backend auto|webgpu|cpu`. `auto` takes WebGPU on a
 * hardware adapter; on a software adapter (Mesa llvmpipe/lavapipe) the CPU backend is
 * faster — measured in bench/RESULTS.md — so `auto` takes the CPU there.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { createWebGpuBackend } from "./backend.ts";
import { acquireGpu, GpuUnavailableError } from "./device.ts";

/** The chosen backend and a one-line reason for logs. */
export interface BackendChoice {
  backend: Backend;
  reason: string;
}

/** Chooses a backend; `webgpu` fails with an install hint when no adapter exists. */
export async function chooseBackend(kind: "auto" | "webgpu" | "cpu"): Promise<BackendChoice> {
  if (kind === "cpu") return { backend: createCpuBackend(), reason: "--backend cpu" };
  let gpu;
  try {
    gpu = await acquireGpu();
  } catch (e) {
    if (kind === "auto" && e instanceof GpuUnavailableError) {
      return { backend: createCpuBackend(), reason: `no WebGPU adapter (${(e as Error).message})` };
    }
    throw e;
  }
  const adapter = gpu.description;
  if (kind === "auto" && gpu.isSoftware) {
    gpu.device.destroy();
    return {
      backend: createCpuBackend(),
      reason: `adapter "${adapter}" is a software rasteriser, slower than the CPU backend`,
    };
  }
  return { backend: createWebGpuBackend(gpu), reason: `adapter "${adapter}"` };
}
