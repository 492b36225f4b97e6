/**
 * What every op of the WebGPU backend records through: the device, the one pending command
 * encoder, the step's buffer arena (intermediates from a pool, back to it at `endStep`) and
 * the tuned matmul family. The op modules in gpu/ops/ are functions of this context.
 *
 * @module
 */

import type { Storage } from "../core/backend.ts";
import { ShapeError } from "../core/errors.ts";
import type { BufferRange } from "./bind_groups.ts";
import { type Gpu, GpuLimitError } from "./device.ts";
import { FLAT_WORKGROUP, type Kernel, type ParamValue } from "./kernels/kernel.ts";
import { matmulCachePath } from "./matmul_cache.ts";
import { matmulEnvOptions, MatmulTuner } from "./matmul_tuner.ts";
import { BufferPool } from "./pool.ts";
import { CommandRecorder } from "./recorder.ts";
import { emptyStats, type GpuStats } from "./stats.ts";

/** `size` f32 elements from element `offset` of `buffer`. */
export class GpuStorage implements Storage {
  /** A range of `buffer`, in elements. */
  constructor(readonly buffer: GPUBuffer, readonly offset: number, readonly size: number) {}
}

/** `s` as the WebGPU backend's storage; a TypeError for any other backend's. */
export function gpuStorage(s: Storage): GpuStorage {
  if (!(s instanceof GpuStorage)) {
    throw new TypeError("storage does not belong to the WebGPU backend");
  }
  return s;
}

/** Workgroups for one thread per element of `n`. */
export function flatGroups(n: number): number {
  return Math.ceil(n / FLAT_WORKGROUP);
}

const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** The device, recorder, buffer arena and matmul tuner that one WebGPU backend owns. */
export class OpContext {
  /** Live totals of submits, dispatches and created buffers, pipelines and bind groups. */
  readonly stats: GpuStats = emptyStats();
  /** The device of `gpu`. */
  readonly device: GPUDevice;
  /** The one pending command encoder. */
  readonly recorder: CommandRecorder;
  /** Staging for `write`s that must wait for recorded work; free again after the submit. */
  readonly uploadPool: BufferPool;
  /** Staging buffers that `read` maps. */
  readonly readbackPool: BufferPool;
  /** Element alignment of a view's offset. */
  readonly viewAlignment: number;
  /** The most bytes one binding may cover. */
  readonly maxBindingBytes: number;
  /** Chooses (and tunes) the matmul variant of each shape class. */
  readonly matmulTuner: MatmulTuner;
  /** What zero-size storages bind (a binding cannot be empty); also the zero that `expand` adds. */
  readonly empty: GPUBuffer;
  /** One zero element of {@link OpContext.empty}. */
  readonly zero: GpuStorage;
  private readonly storagePool: BufferPool;
  /** Pooled buffers handed out since the last `endStep`, in order. */
  private stepBuffers: GPUBuffer[] = [];

  /** Sets up the pools and the tuner on `gpu`; `matmulVariant` pins every product's variant. */
  constructor(readonly gpu: Gpu, matmulVariant: string | undefined) {
    this.device = gpu.device;
    this.viewAlignment = this.device.limits.minStorageBufferOffsetAlignment / 4;
    this.maxBindingBytes = this.device.limits.maxStorageBufferBindingSize;
    this.recorder = new CommandRecorder(this.device, this.stats);
    this.storagePool = new BufferPool((bytes) => this.createBuffer(bytes, STORAGE_USAGE));
    this.uploadPool = new BufferPool((bytes) =>
      this.createBuffer(bytes, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST)
    );
    this.readbackPool = new BufferPool((bytes) =>
      this.createBuffer(bytes, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST)
    );
    this.empty = this.createBuffer(256, STORAGE_USAGE);
    this.zero = new GpuStorage(this.empty, 0, 1);
    const env = matmulEnvOptions();
    this.matmulTuner = new MatmulTuner(this.device, this.recorder.pipelines, {
      ...env,
      ...(matmulVariant === undefined ? {} : { pin: matmulVariant, pinSource: "matmulVariant" }),
      cachePath: matmulCachePath(),
      adapter: gpu.description,
      isSoftware: gpu.isSoftware,
      timestamps: gpu.hasTimestampQuery,
    });
  }

  /** A new GPU buffer, counted; a GpuLimitError past the device's largest. */
  createBuffer(size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    if (size > this.device.limits.maxBufferSize) {
      throw new GpuLimitError("maxBufferSize", `a buffer of ${size} bytes is too large`);
    }
    this.stats.buffersCreated++;
    return this.device.createBuffer({ size, usage });
  }

  /** `size` elements: a step buffer from the pool, or with `persistent` a buffer of its own. */
  allocate(size: number, persistent = false): GpuStorage {
    if (size === 0) return new GpuStorage(this.empty, 0, 0);
    const bytes = size * 4;
    if (persistent) return new GpuStorage(this.createBuffer(bytes, STORAGE_USAGE), 0, size);
    const buffer = this.storagePool.acquire(bytes);
    this.stepBuffers.push(buffer);
    return new GpuStorage(buffer, 0, size);
  }

  /** `size` zeros, as {@link OpContext.allocate} gives them. */
  zeros(size: number, persistent = false): GpuStorage {
    const s = this.allocate(size, persistent);
    // New buffers start zeroed; a recycled one holds the last step's values.
    if (!persistent && size > 0) this.recorder.clear(this.range(s));
    return s;
  }

  /** `size` elements of `base` from element `offset`, which must be aligned. */
  view(base: Storage, offset: number, size: number): GpuStorage {
    const b = gpuStorage(base);
    if (offset % this.viewAlignment !== 0 || offset < 0 || size < 0 || offset + size > b.size) {
      throw new ShapeError(
        "view",
        `[${offset}, ${offset + size}) of a storage of ${b.size}: the range must lie inside ` +
          `it and start at a multiple of ${this.viewAlignment}`,
      );
    }
    return size === 0
      ? new GpuStorage(this.empty, 0, 0)
      : new GpuStorage(b.buffer, b.offset + offset, size);
  }

  /** Gives every step buffer back to the pool (their work must be submitted). */
  releaseStepBuffers(): void {
    this.storagePool.release(this.stepBuffers);
    this.stepBuffers = [];
  }

  /** The bytes of `s` (at least 4: a binding cannot be empty). */
  range(s: GpuStorage): BufferRange {
    return { buffer: s.buffer, offset: s.offset * 4, size: Math.max(s.size, 1) * 4 };
  }

  /** A copy of `range` in a fresh step buffer, recorded in program order. */
  copyAside(range: BufferRange): BufferRange {
    const buffer = this.storagePool.acquire(range.size);
    this.stepBuffers.push(buffer);
    const copy = { buffer, offset: 0, size: range.size };
    this.recorder.copy(range, copy);
    return copy;
  }

  /** Submits the recorded work, after a check that the device has not failed. */
  flush(): void {
    this.gpu.throwIfFailed();
    this.recorder.flush();
  }

  /** Records `kernel` over `operands` (its bindings, in order). */
  run(
    kernel: Kernel,
    operands: readonly Storage[],
    params: readonly ParamValue[],
    groups: number | readonly [number, number],
  ): void {
    const storages = operands.map(gpuStorage);
    const written = storages.filter((_, i) => kernel.access[i] === "read_write");
    // An empty output means there is nothing to compute.
    if (written.some((s) => s.size === 0)) return;
    this.gpu.throwIfFailed();
    const ranges = storages.map((s, i) => {
      const range = this.range(s);
      if (range.size > this.maxBindingBytes) {
        throw new GpuLimitError(
          "maxStorageBufferBindingSize",
          `${kernel.key} would bind ${range.size} bytes at once; bind views of at most ` +
            `${this.maxBindingBytes}`,
        );
      }
      // WebGPU forbids one buffer being read-only and writable storage in one dispatch:
      // an input that shares a buffer with an output (views of one flat buffer) is copied.
      const aliased = kernel.access[i] === "read" && written.some((w) => w.buffer === s.buffer);
      return aliased ? this.copyAside(range) : range;
    });
    this.recorder.dispatch(kernel, ranges, params, groups);
  }
}
