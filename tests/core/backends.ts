/**
 * The backends that the engine's golden and gradient tests run on, each with the
 * tolerance it is held to. The CPU reference and the fast CPU backend (one thread, OpenBLAS
 * where it loads; tests/cpu/ checks that threads change no bit) always run; the WebGPU backend runs when
 * `gpu/backend.ts` exports `createWebGpuBackend` and an adapter is found, and is
 * registered as ignored (with the reason printed) otherwise.
 *
 * @module
 */

import type { Backend } from "../../mod.ts";
import { createCpuBackend, createFastCpuBackend } from "../../mod.ts";

/** `|ours − reference| ≤ atol + rtol·|reference|`, elementwise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** The golden tolerances of one backend. */
export interface GoldenTolerance {
  /** Every op without a long float32 accumulation. */
  elementwise: Tolerance;
  /**
   * matmul, linear, bmm and conv2d (and layers built on them): dot products of up to 65
   * terms (198 for a convolution's weight gradient), possibly accumulated in float32.
   */
  products: Tolerance;
}

/** A backend under test. */
export interface BackendUnderTest {
  name: string;
  /** Creates a fresh backend; null when this backend cannot run here (see `reason`). */
  create: (() => Promise<Backend>) | null;
  /** Why the backend is skipped, or which device it runs on. */
  reason: string;
  /** Golden tolerance against PyTorch's float64 reference (tests/core/golden_test.ts). */
  golden: GoldenTolerance;
  /**
   * Factor on the finite-difference tolerances of tests/core/gradcheck_test.ts: 1 for the
   * CPU reference, larger where transcendental functions are approximate.
   */
  gradcheckSlack: number;
}

/**
 * CPU reference. Elementwise ops evaluate in float64 and round once to float32 and
 * reductions accumulate in float64, so outside products the error is a few float32 ULPs
 * (worst case measured: 0.1 of `elementwise`). `products` allows for a dot product
 * accumulated in float32, as sgemm and GPU kernels do: with k = 65 and unit-variance
 * inputs its absolute error reaches ~1.5e-6 where the result is near 0 (cancellation).
 * Worst measured: 0.3 of it with a float32-accumulating matmul, 0.06 with the current
 * float64-accumulating one. make_golden.py checks that PyTorch's own float32 results
 * meet both tolerances (worst 0.13 and 0.28), so any correct float32 implementation can.
 */
export const CPU_TOLERANCE: GoldenTolerance = {
  elementwise: { atol: 1e-6, rtol: 1e-5 },
  products: { atol: 5e-6, rtol: 5e-5 },
};

/**
 * WebGPU. WGSL only bounds its builtins' accuracy (spec §"Floating Point Accuracy"): exp
 * and exp2 within 3 + 2·|x| ULP, log within 2⁻²¹ absolute on [0.5, 2] and 3 ULP elsewhere,
 * tanh/pow inherited from exp/log formulas, and implementations may flush subnormals and
 * contract a·b + c into an FMA; summation order in tiled matmul and reductions differs
 * from the CPU's. exp(x) at |x| ≈ 9 (the golden exp cases reach that) may be ~21 ULP ≈
 * 2.5e-6 relative off, and its gradient inherits that, so rtol is 1e-4 (40× that) and atol
 * 2e-5 (about 100 float32 ULPs of a unit-sized value). Products get 10× the CPU's
 * `products` atol and 4× its rtol: tiled kernels split and reorder the k-sum in float32,
 * and the fused linear applies an approximate tanh/sigmoid to that sum. These are
 * bounds from the spec, not yet measurements: tighten them once the backend has run.
 */
export const WEBGPU_TOLERANCE: GoldenTolerance = {
  elementwise: { atol: 2e-5, rtol: 1e-4 },
  products: { atol: 5e-5, rtol: 2e-4 },
};

/** Every backend to run the engine tests on (reference, WebGPU, fast CPU), probing WebGPU once. */
export async function backendsUnderTest(): Promise<BackendUnderTest[]> {
  const cpu: BackendUnderTest = {
    name: "cpu",
    create: () => Promise.resolve(createCpuBackend()),
    reason: "CPU reference",
    golden: CPU_TOLERANCE,
    gradcheckSlack: 1,
  };
  const fast: BackendUnderTest = {
    name: "cpu-fast",
    create: () => createFastCpuBackend({ threads: 1 }),
    reason: "WebAssembly SIMD kernels, OpenBLAS where it loads",
    golden: CPU_TOLERANCE,
    gradcheckSlack: 1,
  };
  return [cpu, await probeWebGpu(), fast];
}

async function probeWebGpu(): Promise<BackendUnderTest> {
  const skipped = (reason: string): BackendUnderTest => ({
    name: "webgpu",
    create: null,
    reason,
    golden: WEBGPU_TOLERANCE,
    gradcheckSlack: 4,
  });
  const url = new URL("../../gpu/backend.ts", import.meta.url);
  try {
    await Deno.stat(url);
  } catch {
    return skipped("gpu/backend.ts does not exist");
  }
  // A computed specifier keeps `deno check` from requiring a file that may not exist yet.
  const mod = await import(url.href) as Record<string, unknown>;
  const factory = mod.createWebGpuBackend;
  if (typeof factory !== "function") {
    return skipped("gpu/backend.ts does not export createWebGpuBackend");
  }
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return skipped("no WebGPU adapter found");
  const info = adapter.info;
  return {
    ...skipped(`adapter: ${info.vendor} ${info.architecture} ${info.description}`.trim()),
    create: async () => await (factory as () => Backend | Promise<Backend>)(),
  };
}

/** Logs once per file which backends run, and why one is skipped. */
export function describeBackends(file: string, backends: readonly BackendUnderTest[]): void {
  for (const b of backends) {
    console.log(`${file}: ${b.name} ${b.create ? "runs" : "skipped"} (${b.reason})`);
  }
}

/**
 * The tolerance `bt` is held to on a fixture whose tolerance `base` the CPU reference meets:
 * `base` scaled by the factors that `bt`'s elementwise tolerance has over the CPU's.
 */
export function scaledTolerance(bt: BackendUnderTest, base: Tolerance): Tolerance {
  const scale = (k: keyof Tolerance) =>
    base[k] * bt.golden.elementwise[k] / CPU_TOLERANCE.elementwise[k];
  return { atol: scale("atol"), rtol: scale("rtol") };
}
