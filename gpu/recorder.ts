/**
 * The one pending command encoder of a backend. Ops record dispatches and copies into
 * it in program order; `flush` uploads the uniform slots and submits it all at once, so
 * a training step is one submit. Consecutive dispatches share one compute pass (the
 * implementation orders dependent dispatches inside it); a copy or clear ends the pass.
 *
 * @module
 */

import { BindGroupCache, type BufferRange } from "./bind_groups.ts";
import type { GpuClock } from "./gpu_clock.ts";
import type { Kernel, ParamValue } from "./kernels/kernel.ts";
import { PipelineCache } from "./pipelines.ts";
import type { GpuStats } from "./stats.ts";
import { UniformArena } from "./uniform_arena.ts";

/** Records GPU commands for the next submit. */
export class CommandRecorder {
  /** The pipelines of every kernel this recorder dispatched. */
  readonly pipelines: PipelineCache;
  private readonly bindGroups: BindGroupCache;
  private readonly uniforms: UniformArena;
  private readonly maxGroupsPerDimension: number;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private submitted: (() => void)[] = [];
  /** When set, every submit is timed on it (benchmarks). */
  clock: GpuClock | null = null;

  constructor(private readonly device: GPUDevice, private readonly stats: GpuStats) {
    this.pipelines = new PipelineCache(device, stats);
    this.bindGroups = new BindGroupCache(device, stats);
    this.uniforms = new UniformArena(device, this.pipelines.uniformLayout, stats);
    this.maxGroupsPerDimension = device.limits.maxComputeWorkgroupsPerDimension;
  }

  /**
   * Records `kernel` over `ranges` (its bindings, in order) with uniform `params`.
   * `groups` is a workgroup count, spread over a 2-D grid when it exceeds one dimension's
   * limit, or an explicit `[x, y]` grid.
   */
  dispatch(
    kernel: Kernel,
    ranges: readonly BufferRange[],
    params: readonly ParamValue[],
    groups: number | readonly [number, number],
  ): void {
    const [x, y] = typeof groups === "number" ? this.spread(groups) : groups;
    if (x === 0 || y === 0) return;
    const compiled = this.pipelines.get(kernel);
    const storage = this.bindGroups.get(compiled.layoutKey, compiled.storageLayout, ranges);
    const slot = this.uniforms.push(kernel.params, params);
    const pass = this.pass ??= this.commands().beginComputePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, storage);
    pass.setBindGroup(1, slot.group, [slot.offset]);
    pass.dispatchWorkgroups(x, y);
    this.stats.dispatches++;
  }

  /** Records a copy between equal-sized byte ranges of different buffers. */
  copy(src: BufferRange, dst: BufferRange): void {
    this.endPass().copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, src.size);
  }

  /** Records zeroing a byte range. */
  clear(range: BufferRange): void {
    this.endPass().clearBuffer(range.buffer, range.offset, range.size);
  }

  /** Whether anything is recorded and not yet submitted. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  /** Calls `fn` right after the pending work is submitted. */
  afterSubmit(fn: () => void): void {
    this.submitted.push(fn);
  }

  /** Submits the pending work, if any. */
  flush(): void {
    if (!this.encoder) return;
    const encoder = this.endPass();
    this.clock?.mark(encoder);
    this.encoder = null;
    this.uniforms.upload(this.device.queue);
    this.device.queue.submit([encoder.finish()]);
    this.stats.submits++;
    const callbacks = this.submitted;
    this.submitted = [];
    for (const fn of callbacks) fn();
  }

  private commands(): GPUCommandEncoder {
    if (this.encoder) return this.encoder;
    this.encoder = this.device.createCommandEncoder();
    this.clock?.mark(this.encoder);
    return this.encoder;
  }

  private endPass(): GPUCommandEncoder {
    this.pass?.end();
    this.pass = null;
    return this.commands();
  }

  private spread(groups: number): [number, number] {
    const x = Math.min(groups, this.maxGroupsPerDimension);
    return [x, x && Math.ceil(groups / x)];
  }
}
