/**
 * Times repeated dispatches of one kernel outside the backend's command stream: by
 * timestamp queries around one compute pass when the device has `timestamp-query`, else
 * by the wall clock from submit until `onSubmittedWorkDone`. The matmul tuner uses it.
 *
 * @module
 */

import type { BufferRange } from "./bind_groups.ts";
import { type Kernel, type ParamValue, writeParams } from "./kernels/kernel.ts";
import type { PipelineCache } from "./pipelines.ts";

/** One kernel dispatch to time. */
export interface TimedDispatch {
  readonly kernel: Kernel;
  readonly ranges: readonly BufferRange[];
  readonly params: readonly ParamValue[];
  readonly grid: readonly [number, number];
}

/** Times dispatches on one device. */
export class KernelTimer {
  private readonly querySet: GPUQuerySet | null;
  private readonly resolved: GPUBuffer | null;
  private readonly mapped: GPUBuffer | null;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    timestamps: boolean,
  ) {
    this.querySet = timestamps ? device.createQuerySet({ type: "timestamp", count: 2 }) : null;
    this.resolved = timestamps
      ? device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      })
      : null;
    this.mapped = timestamps
      ? device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST })
      : null;
  }

  /** Whether times come from timestamp queries (else from the wall clock). */
  get usesTimestamps(): boolean {
    return this.querySet !== null;
  }

  /** Milliseconds per dispatch of `d`, over `reps` dispatches in one pass. */
  async time(d: TimedDispatch, reps: number): Promise<number> {
    const compiled = this.pipelines.get(d.kernel);
    const uniform = this.device.createBuffer({
      size: Math.max(16, Math.ceil(d.kernel.params.bytes / 16) * 16),
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const host = new DataView(new ArrayBuffer(uniform.size));
    writeParams(host, 0, d.kernel.params, d.params);
    this.device.queue.writeBuffer(uniform, 0, host.buffer);
    const storage = this.device.createBindGroup({
      layout: compiled.storageLayout,
      entries: d.ranges.map((r, binding) => ({ binding, resource: r })),
    });
    const params = this.device.createBindGroup({
      layout: this.pipelines.uniformLayout,
      entries: [{ binding: 0, resource: { buffer: uniform, size: uniform.size } }],
    });
    const encoder = this.device.createCommandEncoder();
    const pass = encoder.beginComputePass(
      this.querySet
        ? {
          timestampWrites: {
            querySet: this.querySet,
            beginningOfPassWriteIndex: 0,
            endOfPassWriteIndex: 1,
          },
        }
        : {},
    );
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, storage);
    pass.setBindGroup(1, params, [0]);
    for (let i = 0; i < reps; i++) pass.dispatchWorkgroups(d.grid[0], d.grid[1]);
    pass.end();
    if (this.querySet) {
      encoder.resolveQuerySet(this.querySet, 0, 2, this.resolved!, 0);
      encoder.copyBufferToBuffer(this.resolved!, 0, this.mapped!, 0, 16);
    }
    const t0 = performance.now();
    this.device.queue.submit([encoder.finish()]);
    let ms: number;
    if (this.mapped) {
      await this.mapped.mapAsync(GPUMapMode.READ);
      const [begin, end] = new BigUint64Array(this.mapped.getMappedRange());
      ms = Number(end - begin) / 1e6;
      this.mapped.unmap();
    } else {
      await this.device.queue.onSubmittedWorkDone();
      ms = performance.now() - t0;
    }
    uniform.destroy();
    return ms / reps;
  }

  /** Frees the query objects. */
  destroy(): void {
    this.querySet?.destroy();
    this.resolved?.destroy();
    this.mapped?.destroy();
  }
}
