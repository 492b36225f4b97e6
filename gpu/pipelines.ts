/**
 * Compute pipelines cached by kernel key, with explicit bind-group layouts: group 0 holds
 * a kernel's storage buffers (one layout per read/write signature, shared by every
 * kernel with that signature), group 1 its uniform slot with a dynamic offset (one
 * layout for all).
 *
 * @module
 */

import type { Kernel } from "./kernels/kernel.ts";
import type { GpuStats } from "./stats.ts";

/** A kernel ready to dispatch. */
export interface CompiledKernel {
  readonly pipeline: GPUComputePipeline;
  readonly storageLayout: GPUBindGroupLayout;
  /** Identifies `storageLayout`, for bind-group cache keys. */
  readonly layoutKey: string;
}

/** Pipelines by kernel key. */
export class PipelineCache {
  /** The layout of every kernel's group 1. */
  readonly uniformLayout: GPUBindGroupLayout;
  private readonly storageLayouts = new Map<string, GPUBindGroupLayout>();
  private readonly compiled = new Map<string, CompiledKernel>();

  constructor(private readonly device: GPUDevice, private readonly stats: GpuStats) {
    this.uniformLayout = device.createBindGroupLayout({
      entries: [{
        binding: 0,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform", hasDynamicOffset: true },
      }],
    });
  }

  /** The pipeline of `kernel`, compiled on first use. */
  get(kernel: Kernel): CompiledKernel {
    let entry = this.compiled.get(kernel.key);
    if (entry) return entry;
    const layoutKey = kernel.access.map((a) => (a === "read" ? "r" : "w")).join("");
    const storageLayout = this.storageLayout(layoutKey);
    const pipeline = this.device.createComputePipeline({
      label: kernel.key,
      layout: this.device.createPipelineLayout({
        bindGroupLayouts: [storageLayout, this.uniformLayout],
      }),
      compute: {
        module: this.device.createShaderModule({ label: kernel.key, code: kernel.code }),
        entryPoint: "main",
      },
    });
    this.stats.pipelinesCreated++;
    this.compiled.set(kernel.key, entry = { pipeline, storageLayout, layoutKey });
    return entry;
  }

  private storageLayout(key: string): GPUBindGroupLayout {
    let layout = this.storageLayouts.get(key);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        entries: [...key].map((a, binding) => ({
          binding,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: a === "r" ? "read-only-storage" : "storage" },
        })),
      });
      this.storageLayouts.set(key, layout);
    }
    return layout;
  }
}
