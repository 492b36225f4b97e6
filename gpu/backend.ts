/**
 * The WebGPU backend. Storage is a range of a GPU buffer; every op records a dispatch
 * into one pending command encoder, submitted by `flush` (so by `endStep` and `read`):
 * one submit per training step. Intermediates come from a buffer pool and go back to it
 * at `endStep`; pipelines and bind groups are cached, so a steady-state step creates no
 * GPU objects at all.
 *
 * @module
 */

import type {
  AvgWindow2d,
  Backend,
  BinaryArgs,
  CrossEntropySpec,
  LinearArgs,
  LinearBackwardArgs,
  MatmulArgs,
  OpScalars,
  OptimizerStepArgs,
  Planes2d,
  ReduceArgs,
  ReduceOp,
  SoftmaxArgs,
  Storage,
  TallyArgs,
  Window2d,
} from "../core/backend.ts";
import type { UnaryOpName } from "../core/elementwise.ts";
import { counterWords } from "../core/cpu/random.ts";
import { ShapeError } from "../core/errors.ts";
import { broadcastStrides, sizeOf } from "../core/shape.ts";
import type { BufferRange } from "./bind_groups.ts";
import { acquireGpu, type Gpu, GpuLimitError } from "./device.ts";
import type { GpuClock } from "./gpu_clock.ts";
import { broadcastKernel, collapseBroadcast } from "./kernels/broadcast.ts";
import { affineKernel, axpyKernel, binaryKernel, unaryKernel } from "./kernels/elementwise.ts";
import { FLAT_WORKGROUP, type Kernel, type ParamValue } from "./kernels/kernel.ts";
import { familyDispatch, kChunks, type MatmulFusion } from "./kernels/matmul_family.ts";
import { matmulCachePath } from "./matmul_cache.ts";
import { matmulEnvOptions, MatmulTuner } from "./matmul_tuner.ts";
import { gradientOperand, type Operand, plainOperand } from "./kernels/operand.ts";
import { updateKernel } from "./kernels/optimizer.ts";
import { clampAbsKernel, scaleToNormKernel } from "./kernels/clip.ts";
import { nonFiniteFlagKernel, nonFinitePartialsKernel } from "./kernels/non_finite.ts";
import {
  crossEntropyBackwardKernel,
  crossEntropyKernel,
  crossEntropyParams,
} from "./kernels/cross_entropy.ts";
import { gatherSamplesKernel } from "./kernels/gather_samples.ts";
import { tallyKernel } from "./kernels/tally.ts";
import { col2imKernel, im2colKernel } from "./kernels/conv.ts";
import {
  adaptiveAvgPoolBackwardKernel,
  adaptiveAvgPoolKernel,
  avgPoolBackwardKernel,
  avgPoolKernel,
  maxPoolBackwardKernel,
  maxPoolKernel,
} from "./kernels/pool.ts";
import { avgWindowParams, planesParams, windowParams } from "./kernels/window.ts";
import { TOTAL_PARTIALS, type TotalLoad, totalReduceKernel } from "./kernels/total_reduce.ts";
import { randomUniformKernel } from "./kernels/random.ts";
import { REDUCE_CHUNK, reduceKernel } from "./kernels/reduce.ts";
import { argmaxKernel, gatherKernel, scatterKernel, softmaxKernel } from "./kernels/rows.ts";
import { BufferPool } from "./pool.ts";
import { CommandRecorder } from "./recorder.ts";
import { emptyStats, type GpuStats } from "./stats.ts";

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
  return gpu ? new GpuBackend(gpu, options) : acquireGpu().then((g) => new GpuBackend(g, options));
}

/** `size` f32 elements from element `offset` of `buffer`. */
class GpuStorage implements Storage {
  constructor(readonly buffer: GPUBuffer, readonly offset: number, readonly size: number) {}
}

function gpuStorage(s: Storage): GpuStorage {
  if (!(s instanceof GpuStorage)) {
    throw new TypeError("storage does not belong to the WebGPU backend");
  }
  return s;
}

const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

class GpuBackend implements WebGpuBackend {
  readonly name = "webgpu";
  readonly description: string;
  readonly viewAlignment: number;
  readonly stats: GpuStats = emptyStats();

  private readonly device: GPUDevice;
  private readonly recorder: CommandRecorder;
  private readonly storagePool: BufferPool;
  /** Staging for `write`s that must wait for recorded work; free again after the submit. */
  private readonly uploadPool: BufferPool;
  private readonly readbackPool: BufferPool;
  /** Pooled buffers handed out since the last `endStep`, in order. */
  private stepBuffers: GPUBuffer[] = [];
  /** What zero-size storages bind (a binding cannot be empty); also the zero that `expand` adds. */
  private readonly empty: GPUBuffer;
  private readonly zero: GpuStorage;
  private readonly maxBindingBytes: number;
  private readonly matmulTuner: MatmulTuner;

  constructor(readonly gpu: Gpu, options: WebGpuBackendOptions) {
    this.device = gpu.device;
    this.description = gpu.description;
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
      ...(options.matmulVariant === undefined
        ? {}
        : { pin: options.matmulVariant, pinSource: "matmulVariant" }),
      cachePath: matmulCachePath(),
      adapter: gpu.description,
      isSoftware: gpu.isSoftware,
      timestamps: gpu.hasTimestampQuery,
    });
  }

  // ---- storage ----

  zeros(size: number, persistent = false): Storage {
    const s = this.allocate(size, persistent);
    // New buffers start zeroed; a recycled one holds the last step's values.
    if (!persistent && size > 0) this.recorder.clear(this.range(s));
    return s;
  }

  upload(data: Float32Array, persistent = false): Storage {
    const s = this.allocate(data.length, persistent);
    // A buffer just allocated has no recorded work that this write could overtake.
    if (s.size > 0) this.device.queue.writeBuffer(s.buffer, 0, source(data));
    return s;
  }

  write(dst: Storage, data: Float32Array): void {
    const d = gpuStorage(dst);
    if (data.length !== d.size) {
      throw new ShapeError("write", `got ${data.length} values for a storage of ${d.size}`);
    }
    if (d.size === 0) return;
    this.gpu.throwIfFailed();
    // queue.writeBuffer runs before the next submit, so it would overtake work recorded
    // earlier. With nothing recorded it is in order and cheapest; otherwise the data goes
    // to a staging buffer now and a copy joins the recorded work in program order.
    if (!this.recorder.pending) {
      this.device.queue.writeBuffer(d.buffer, d.offset * 4, source(data));
      return;
    }
    const bytes = d.size * 4;
    const staging = this.uploadPool.acquire(bytes);
    this.device.queue.writeBuffer(staging, 0, source(data));
    this.recorder.copy({ buffer: staging, offset: 0, size: bytes }, this.range(d));
    this.recorder.afterSubmit(() => this.uploadPool.release([staging]));
  }

  view(base: Storage, offset: number, size: number): Storage {
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

  async read(s: Storage): Promise<Float32Array> {
    const src = gpuStorage(s);
    if (src.size === 0) {
      this.flush();
      return new Float32Array(0);
    }
    const bytes = src.size * 4;
    const staging = this.readbackPool.acquire(bytes);
    this.recorder.copy(this.range(src), { buffer: staging, offset: 0, size: bytes });
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    } catch (e) {
      this.gpu.throwIfFailed();
      throw e;
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    this.readbackPool.release([staging]);
    // Shape classes met since the last read are tuned now, once the data is out; products
    // already recorded keep their variant.
    if (this.matmulTuner.hasPending) await this.matmulTuner.tune();
    return out;
  }

  flush(): void {
    this.gpu.throwIfFailed();
    this.recorder.flush();
  }

  endStep(): void {
    this.flush();
    this.storagePool.release(this.stepBuffers);
    this.stepBuffers = [];
  }

  destroy(): void {
    this.device.destroy();
  }

  attachClock(clock: GpuClock | null): void {
    this.recorder.clock = clock;
  }

  matmulVariant(m: number, k: number, n: number, transA: boolean, transB: boolean): string {
    return this.matmulTuner.choose({ m, k, n, transA, transB, batch: 1 }).name;
  }

  // ---- ops ----

  unary(op: UnaryOpName, x: Storage, { alpha = 0, beta = 0 }: OpScalars = {}): Storage {
    const out = this.allocate(x.size);
    this.run(unaryKernel(op), [x, out], [x.size, alpha, beta], flatGroups(x.size));
    return out;
  }

  binary({ op, a, aShape, b, bShape, outShape, alpha = 0, beta = 0 }: BinaryArgs): Storage {
    const n = sizeOf(outShape);
    const out = this.allocate(n);
    if (a.size === n && b.size === n) {
      this.run(binaryKernel(op), [a, b, out], [n, alpha, beta], flatGroups(n));
      return out;
    }
    const plan = collapseBroadcast(
      outShape,
      broadcastStrides(aShape, outShape),
      broadcastStrides(bShape, outShape),
    );
    this.run(
      broadcastKernel(op, plan.shape.length),
      [a, b, out],
      [n, alpha, beta, plan.shape, plan.aStrides, plan.bStrides],
      flatGroups(n),
    );
    return out;
  }

  expand(x: Storage, shape: readonly number[], outShape: readonly number[]): Storage {
    return this.binary({ op: "add", a: x, aShape: shape, b: this.zero, bShape: [], outShape });
  }

  affine(x: Storage, mul: number, add: number): Storage {
    const out = this.allocate(x.size);
    this.run(affineKernel(), [x, out], [x.size, mul, add], flatGroups(x.size));
    return out;
  }

  reduce({ op, x, outer, len, inner }: ReduceArgs): Storage {
    const out = this.allocate(outer * inner);
    this.reduceInto(op, plainOperand("src"), [x], out, outer, len, inner);
    return out;
  }

  /**
   * Reduces `[outer, len, inner]` (the operand `src` over `inputs`) over len into `dst`. A
   * thread loops over at most {@link REDUCE_CHUNK} values: a longer len is reduced in
   * chunks by more threads, then the partial results the same way. (Mesa's llvmpipe ends
   * any shader loop after 65,535 iterations, and one thread per output leaves a GPU idle.)
   */
  private reduceInto(
    op: ReduceOp,
    src: Operand,
    inputs: Storage[],
    dst: Storage,
    outer: number,
    len: number,
    inner: number,
  ): void {
    const kernel = reduceKernel(op, src);
    if (len <= REDUCE_CHUNK) {
      this.run(kernel, [...inputs, dst], [outer, len, inner, len], flatGroups(outer * inner));
      return;
    }
    const chunks = Math.ceil(len / REDUCE_CHUNK);
    const partial = this.allocate(outer * chunks * inner);
    this.run(
      kernel,
      [...inputs, partial],
      [outer, len, inner, REDUCE_CHUNK],
      flatGroups(outer * chunks * inner),
    );
    this.reduceInto(op, plainOperand("src"), [partial], dst, outer, chunks, inner);
  }

  matmul({ a, b, m, k, n, transA = false, transB = false, batch = 1 }: MatmulArgs): Storage {
    const out = this.allocate(batch * m * n);
    // A long k is summed in chunks by more workgroups, then the partial results are added.
    const chunks = kChunks(k);
    const splitK = chunks > 1;
    const problem = { m, k, n, transA, transB, batch };
    const { kernel, grid } = familyDispatch(this.matmulTuner.choose(problem), problem);
    const limit = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (grid[1] > limit) {
      throw new GpuLimitError(
        "maxComputeWorkgroupsPerDimension",
        `a batch of ${batch} products of ${m} rows in ${chunks} chunks of k needs ` +
          `${grid[1]} workgroup rows`,
      );
    }
    const partial = splitK ? this.allocate(batch * chunks * m * n) : out;
    this.run(kernel, [a, b, partial], [m, k, n], grid);
    if (splitK) this.reduceInto("sum", plainOperand("src"), [partial], out, batch, chunks, m * n);
    return out;
  }

  linear({ x, w, b, m, k, n, act }: LinearArgs): Storage {
    const out = this.allocate(m * n);
    const { kernel, grid } = this.fusedProduct(m, k, n, false, true, {
      a: plainOperand("a"),
      bias: b !== null,
      act,
    });
    this.run(kernel, b ? [x, w, b, out] : [x, w, out], [m, k, n], grid);
    return out;
  }

  linearBackward(
    { x, w, y, gy, m, k, n, act, hasBias, needInputGrad }: LinearBackwardArgs,
  ): { gx: Storage | null; gw: Storage; gb: Storage | null } {
    // gz = act'(y)·gy is never stored: each kernel below computes it as it loads it.
    const gz = act === "none" ? [gy] : [y, gy];
    const fusion = { a: gradientOperand("a", act), bias: false, act: "none" } as const;
    let gx: Storage | null = null;
    if (needInputGrad) {
      gx = this.allocate(m * k);
      const { kernel, grid } = this.fusedProduct(m, n, k, false, false, fusion);
      this.run(kernel, [...gz, w, gx], [m, n, k], grid);
    }
    const gw = this.allocate(n * k);
    const { kernel, grid } = this.fusedProduct(n, m, k, true, false, fusion);
    this.run(kernel, [...gz, x, gw], [n, m, k], grid);
    let gb: Storage | null = null;
    if (hasBias) {
      gb = this.allocate(n);
      this.reduceInto("sum", gradientOperand("src", act), gz, gb, 1, m, n);
    }
    return { gx, gw, gb };
  }

  softmax({ x, rows, cols, log }: SoftmaxArgs): Storage {
    const out = this.allocate(rows * cols);
    this.run(softmaxKernel(log), [x, out], [rows, cols], rows);
    return out;
  }

  gather(x: Storage, idx: Storage, rows: number, cols: number): Storage {
    const out = this.allocate(rows);
    this.run(gatherKernel(), [x, idx, out], [rows, cols], flatGroups(rows));
    return out;
  }

  scatter(g: Storage, idx: Storage, rows: number, cols: number): Storage {
    const out = this.allocate(rows * cols);
    this.run(scatterKernel(), [g, idx, out], [rows, cols], flatGroups(rows * cols));
    return out;
  }

  softmaxCrossEntropy(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    spec: CrossEntropySpec,
  ): Storage {
    const reduced = spec.reduction !== "none";
    const out = this.allocate(reduced ? 2 : spec.rows);
    this.run(
      crossEntropyKernel(spec, weight !== null),
      [logits, labels, weight ?? this.zero, out],
      crossEntropyParams(spec),
      reduced ? 1 : flatGroups(spec.rows),
    );
    return out;
  }

  softmaxCrossEntropyBackward(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    totals: Storage,
    gy: Storage,
    spec: CrossEntropySpec,
  ): Storage {
    const gx = this.allocate(spec.rows * spec.cols);
    this.run(
      crossEntropyBackwardKernel(spec, weight !== null),
      [logits, labels, weight ?? this.zero, totals, gy, gx],
      crossEntropyParams(spec),
      spec.rows,
    );
    return gx;
  }

  tallyPredictions({ sums, logits, labels, loss, lossScale, rows, cols }: TallyArgs): void {
    this.run(tallyKernel(), [logits, labels, loss, sums], [rows, cols, lossScale], 1);
  }

  gatherSamples(
    images: Storage,
    labels: Storage,
    idx: Storage,
    width: number,
  ): { x: Storage; y: Storage } {
    const rows = idx.size, count = labels.size;
    const x = this.allocate(rows * width), y = this.allocate(rows);
    // One dispatch per shard of whole samples that one binding can hold at an aligned offset.
    const alignRows = this.viewAlignment / gcd(this.viewAlignment, width);
    const perBinding = Math.floor(this.maxBindingBytes / 4 / width);
    const shard = Math.max(alignRows, perBinding - perBinding % alignRows);
    for (let first = 0; first < Math.max(count, 1); first += shard) {
      const n = Math.min(shard, count - first);
      this.run(
        gatherSamplesKernel(),
        [this.view(images, first * width, n * width), labels, idx, x, y],
        [rows, width, count, first, n],
        flatGroups(rows * width),
      );
    }
    return { x, y };
  }

  argmax(x: Storage, rows: number, cols: number): Storage {
    const out = this.allocate(rows);
    this.run(argmaxKernel(), [x, out], [rows, cols], flatGroups(rows));
    return out;
  }

  axpy(dst: Storage, src: Storage, alpha: number): void {
    this.run(axpyKernel(), [dst, src], [dst.size, alpha], flatGroups(dst.size));
  }

  copy(dst: Storage, src: Storage): void {
    const d = gpuStorage(dst), s = gpuStorage(src);
    if (d.size === 0) return;
    // A buffer cannot be both source and destination of one copy.
    const from = s.buffer === d.buffer ? this.copyAside(this.range(s)) : this.range(s);
    this.recorder.copy(from, this.range(d));
  }

  optimizerStep({ kernel, params, grads, state, hyper }: OptimizerStepArgs): void {
    const names = kernel.stateNames;
    if (state.length !== names.length) {
      throw new ShapeError(
        "optimizerStep",
        `${kernel.name} keeps ${names.length} state buffers (${names.join(", ")}), got ` +
          `${state.length}`,
      );
    }
    const n = params.size;
    this.run(
      updateKernel(kernel),
      [params, grads, ...state],
      kernel.fields.map((f) => f.value(hyper, n)),
      flatGroups(n),
    );
  }

  dot(a: Storage, b: Storage): Storage {
    if (a.size !== b.size) {
      throw new ShapeError("dot", `expected storages of one size, got ${a.size} and ${b.size}`);
    }
    return this.total("product", "sum", [a, b], a.size);
  }

  maxAbs(x: Storage): Storage {
    return x.size === 0 ? this.zeros(1) : this.total("abs", "max", [x], x.size);
  }

  markNonFinite(flag: Storage, x: Storage, mark: number): void {
    if (x.size === 0) return;
    const groups = Math.min(TOTAL_PARTIALS, Math.ceil(x.size / FLAT_WORKGROUP));
    const partials = this.allocate(2 * groups);
    this.run(nonFinitePartialsKernel(), [x, partials], [x.size], groups);
    this.run(nonFiniteFlagKernel(), [partials, flag], [groups, mark], 1);
  }

  scaleToNorm(x: Storage, norm: Storage, maxNorm: number): void {
    this.run(scaleToNormKernel(), [x, norm], [x.size, maxNorm], flatGroups(x.size));
  }

  clampAbs(x: Storage, limit: number): void {
    this.run(clampAbsKernel(), [x], [x.size, limit], flatGroups(x.size));
  }

  randomUniform(size: number, seed: number, offset: number): Storage {
    const [lo, hi] = counterWords(seed, offset);
    const out = this.allocate(size);
    this.run(randomUniformKernel(), [out], [size, seed, lo, hi], flatGroups(size));
    return out;
  }

  permute(x: Storage, shape: readonly number[], dims: readonly number[]): Storage {
    // The broadcast kernel walks any strides: x + 0 read through the permuted strides.
    const n = sizeOf(shape);
    const out = this.allocate(n);
    const strides = broadcastStrides(shape, shape);
    const outShape = dims.map((d) => shape[d]);
    const plan = collapseBroadcast(outShape, dims.map((d) => strides[d]), outShape.map(() => 0));
    this.run(
      broadcastKernel("add", plan.shape.length),
      [x, this.zero, out],
      [n, 0, 0, plan.shape, plan.aStrides, plan.bStrides],
      flatGroups(n),
    );
    return out;
  }

  im2col(x: Storage, win: Window2d): Storage {
    const out = this.allocate(win.c * win.kh * win.kw * win.n * win.outH * win.outW);
    this.run(im2colKernel(), [x, out], windowParams(win), flatGroups(out.size));
    return out;
  }

  col2im(cols: Storage, win: Window2d): Storage {
    const out = this.allocate(win.n * win.c * win.h * win.w);
    this.run(col2imKernel(), [cols, out], windowParams(win), flatGroups(out.size));
    return out;
  }

  maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage } {
    const size = win.n * win.c * win.outH * win.outW;
    const out = this.allocate(size), indices = this.allocate(size);
    this.run(maxPoolKernel(), [x, out, indices], windowParams(win), flatGroups(size));
    return { out, indices };
  }

  maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage {
    const gx = this.allocate(win.n * win.c * win.h * win.w);
    this.run(maxPoolBackwardKernel(), [gy, indices, gx], windowParams(win), flatGroups(gx.size));
    return gx;
  }

  avgPool2d(x: Storage, win: AvgWindow2d): Storage {
    const out = this.allocate(win.n * win.c * win.outH * win.outW);
    this.run(avgPoolKernel(), [x, out], avgWindowParams(win), flatGroups(out.size));
    return out;
  }

  avgPool2dBackward(gy: Storage, win: AvgWindow2d): Storage {
    const gx = this.allocate(win.n * win.c * win.h * win.w);
    this.run(avgPoolBackwardKernel(), [gy, gx], avgWindowParams(win), flatGroups(gx.size));
    return gx;
  }

  adaptiveAvgPool2d(x: Storage, planes: Planes2d): Storage {
    const out = this.allocate(planes.n * planes.c * planes.outH * planes.outW);
    this.run(adaptiveAvgPoolKernel(), [x, out], planesParams(planes), flatGroups(out.size));
    return out;
  }

  adaptiveAvgPool2dBackward(gy: Storage, planes: Planes2d): Storage {
    const gx = this.allocate(planes.n * planes.c * planes.h * planes.w);
    const kernel = adaptiveAvgPoolBackwardKernel();
    this.run(kernel, [gy, gx], planesParams(planes), flatGroups(gx.size));
    return gx;
  }

  // ---- plumbing ----

  /** The tuned variant's kernel and grid for a fused product op(A)·op(B) → [m, n]. */
  private fusedProduct(
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
    fusion: MatmulFusion,
  ): { kernel: Kernel; grid: [number, number] } {
    const problem = { m, k, n, transA, transB, batch: 1 };
    return familyDispatch(this.matmulTuner.choose(problem), problem, fusion);
  }

  /** Reduces `n` loaded values to a 1-element storage in two passes (partials, then total). */
  private total(
    load: TotalLoad,
    op: "sum" | "max",
    inputs: readonly Storage[],
    n: number,
  ): Storage {
    const out = this.zeros(1);
    const groups = Math.min(TOTAL_PARTIALS, Math.max(1, Math.ceil(n / FLAT_WORKGROUP)));
    const partials = groups === 1 ? out : this.allocate(groups);
    this.run(totalReduceKernel(load, op), [...inputs, partials], [n], groups);
    if (groups > 1) this.run(totalReduceKernel("plain", op), [partials, out], [groups], 1);
    return out;
  }

  private createBuffer(size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    if (size > this.device.limits.maxBufferSize) {
      throw new GpuLimitError("maxBufferSize", `a buffer of ${size} bytes is too large`);
    }
    this.stats.buffersCreated++;
    return this.device.createBuffer({ size, usage });
  }

  private allocate(size: number, persistent = false): GpuStorage {
    if (size === 0) return new GpuStorage(this.empty, 0, 0);
    const bytes = size * 4;
    if (persistent) return new GpuStorage(this.createBuffer(bytes, STORAGE_USAGE), 0, size);
    const buffer = this.storagePool.acquire(bytes);
    this.stepBuffers.push(buffer);
    return new GpuStorage(buffer, 0, size);
  }

  private range(s: GpuStorage): BufferRange {
    return { buffer: s.buffer, offset: s.offset * 4, size: Math.max(s.size, 1) * 4 };
  }

  /** A copy of `range` in a fresh step buffer, recorded in program order. */
  private copyAside(range: BufferRange): BufferRange {
    const buffer = this.storagePool.acquire(range.size);
    this.stepBuffers.push(buffer);
    const copy = { buffer, offset: 0, size: range.size };
    this.recorder.copy(range, copy);
    return copy;
  }

  /** Records `kernel` over `operands` (its bindings, in order). */
  private run(
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

/** `data` as writeBuffer's type, which leaves out views of a SharedArrayBuffer that it copies alike. */
function source(data: Float32Array): Float32Array<ArrayBuffer> {
  return data as Float32Array<ArrayBuffer>;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Workgroups for one thread per element of `n`. */
function flatGroups(n: number): number {
  return Math.ceil(n / FLAT_WORKGROUP);
}
