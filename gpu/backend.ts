/**
 * The WebGPU backend. Storage is a range of a GPU buffer; every op records a dispatch
 * into one pending command encoder, submitted by `flush` (so by `endStep` and `read`):
 * one submit per training step. Intermediates come from a buffer pool and go back to it
 * at `endStep`; pipelines and bind groups are cached, so a steady-state step creates no
 * GPU objects at all. The ops live in gpu/ops/, one module per family, each a function of
 * the {@link OpContext} (device, recorder, step arena, matmul tuner) that this assembles.
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { acquireGpu, type Gpu } from "./device.ts";
import type { GpuClock } from "./gpu_clock.ts";
import { OpContext } from "./op_context.ts";
import { elementwiseOps } from "./ops/elementwise.ts";
import { normOps } from "./ops/norm.ts";
import { productOps } from "./ops/products.ts";
import { reductionOps } from "./ops/reduction.ts";
import { rowOps } from "./ops/rows.ts";
import { storageOps } from "./ops/storage.ts";
import { updateOps } from "./ops/update.ts";
import { windowOps } from "./ops/windows.ts";
import type { GpuStats } from "./stats.ts";

/** A {@link Backend} on WebGPU, with counters of the work it did. */
export interface WebGpuBackend extends Backend {
  /** Always `webgpu`. */
  readonly name: "webgpu";
  /** The device this backend owns (destroyed by `destroy`). */
  readonly gpu: Gpu;
  /** Live totals of submits, dispatches and created buffers, pipelines and bind groups. */
  readonly stats: Readonly<GpuStats>;
  /** Times every following submit on `clock` (benchmarks); null stops timing. */
  attachClock(clock: GpuClock | null): void;
  /**
   * The name of the matmul variant that a product of this shape runs on now (a class not
   * seen before is queued for tuning at the next read, like a product of it).
   */
  matmulVariant(m: number, k: number, n: number, transA: boolean, transB: boolean): string;
}

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions {
  /**
   * Run every matmul on this variant of gpu/kernels/matmul_family.ts (tests cover each
   * one so); by default `GRADMESH_MATMUL` or the tuned choice.
   */
  matmulVariant?: string;
}

/**
 * Creates the WebGPU backend on `gpu`, which it then owns, or on a newly acquired device.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend } from "./backend.ts";
 * const backend = await createWebGpuBackend();
 * const x = backend.upload(new Float32Array([1, -2, 3]));
 * console.log(await backend.read(backend.unary("relu", x))); // Float32Array [1, 0, 3]
 * backend.destroy();
 * ```
 */
export function createWebGpuBackend(gpu: Gpu, options?: WebGpuBackendOptions): WebGpuBackend;
/** Acquires a device with {@link acquireGpu} and creates the WebGPU backend on it. */
export function createWebGpuBackend(
  gpu?: undefined,
  options?: WebGpuBackendOptions,
): Promise<WebGpuBackend>;
export function createWebGpuBackend(
  gpu?: Gpu,
  options: WebGpuBackendOptions = {},
): WebGpuBackend | Promise<WebGpuBackend> {
  return gpu ? webGpuBackend(gpu, options) : acquireGpu().then((g) => webGpuBackend(g, options));
}

function webGpuBackend(gpu: Gpu, options: WebGpuBackendOptions): WebGpuBackend {
  const ctx = new OpContext(gpu, options.matmulVariant);
  return {
    name: "webgpu",
    description: gpu.description,
    viewAlignment: ctx.viewAlignment,
    gpu,
    stats: ctx.stats,
    ...storageOps(ctx),
    ...elementwiseOps(ctx),
    ...reductionOps(ctx),
    ...productOps(ctx),
    ...rowOps(ctx),
    ...windowOps(ctx),
    ...updateOps(ctx),
    ...normOps(ctx),
    destroy(): void {
      gpu.device.destroy();
    },
    attachClock(clock: GpuClock | null): void {
      ctx.recorder.clock = clock;
    },
    matmulVariant(m: number, k: number, n: number, transA: boolean, transB: boolean): string {
      return ctx.matmulTuner.choose({ m, k, n, transA, transB, batch: 1 }).name;
    },
  };
}
