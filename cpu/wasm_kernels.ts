/**
 * The WebAssembly kernels over one shared linear memory: operands are copied in, the kernel
 * runs (GEMMs large enough to pay for it on every thread of the pool, through the kernels or
 * through OpenBLAS), and the result is copied out into an array from `alloc`.
 *
 * Memory layout: the module's own area up to `__heap_base`; the pool's control words; the
 * GEMM and window descriptors; each thread's packing scratch; the persistent arrays (the
 * backend's persistent storages: parameters, gradients, optimizer state), which live until
 * the backend is destroyed; the step's resident arrays (the results of ops, which later
 * kernels read in place instead of having them copied out and back in; given back at
 * `endStep`); then the operands of the current call, which start over at every call.
 *
 * The memory is shared, so growing it never moves or detaches it: a view made before a grow
 * stays valid over its own range, and only views made afterwards see the new pages. Every
 * view is made from the buffer of the moment, and an array is known to lie in this memory by
 * its buffer being one that the memory handed out.
 *
 * @module
 */

import type { FusedActivation, Window2d } from "../core/backend.ts";
import type { BatchNormBackwardHostArgs, BatchNormHostArgs } from "../core/cpu/batch_norm.ts";
import { type Alloc, freshArray } from "./buffer_pool.ts";
import { type KernelModule, loadKernels, type SimdLevel } from "./kernels.ts";
import type { OpenBlas } from "./openblas.ts";
import { runSgemmShare } from "./sgemm_parts.ts";
import { ThreadPool } from "./thread_pool.ts";
import {
  CONTROL,
  ELEMENTWISE_JOB,
  ELEMENTWISE_OPS,
  type ElementwiseOp,
  GEMM,
  type GemmShape,
  JOB_BATCH_NORM,
  JOB_BATCH_NORM_BACKWARD,
  JOB_COL2IM,
  JOB_ELEMENTWISE,
  JOB_GEMM,
  JOB_IM2COL,
  JOB_SGEMM,
  JOB_UPDATE,
  NORM_JOB,
  UPDATE_JOB,
  WINDOW_JOB,
} from "./thread_protocol.ts";
import type { UpdateSettings } from "./optimizer_update.ts";

const PAGE = 65536;
const MAX_PAGES = 32768;
/** Multiply-adds below which a GEMM stays on the calling thread (waking workers costs ~10 µs). */
const THREADED_MIN_MACS = 1 << 20;
/** Bytes of memory that a step's resident arrays may take; past them, results are copied out. */
const RESIDENT_MAX_BYTES = 1280 * 1024 * 1024;
/**
 * Elements from which an optimizer update runs on the threads. On the idle 2-core machine
 * the default MLP's update (101,770 elements) on 2 threads made its epoch 5–10% shorter
 * (three alternating pairs of `bench:train`, wasm and OpenBLAS alike); on cores loaded by
 * other work the second thread made it slower (SGD 187 against 112 µs).
 */
const UPDATE_THREADED_MIN_ELEMENTS = 1 << 16;
/** Bytes that the persistent arrays may take; past them, persistent storages are plain arrays. */
const PERSISTENT_MAX_BYTES = 512 * 1024 * 1024;
/**
 * Least bytes of room left above the persistent arrays when they push the step's arrays up
 * (they leave at least as much again as they take), so that persistent storages made while a
 * step's arrays are live (which cannot move then) still fit.
 */
const PERSISTENT_SLACK_BYTES = 4 * 1024 * 1024;
/** Elements below which im2col, col2im and batch norm stay on the calling thread. */
const THREADED_MIN_ELEMENTS = 1 << 16;

interface Exports {
  gemm_thread(job: number, thread: number): void;
  gemm_work_floats(): number;
  gemm_job_bytes(): number;
  im2col_thread(job: number, thread: number): void;
  col2im_thread(job: number, thread: number): void;
  window_job_bytes(): number;
  batch_norm_thread(job: number, thread: number): void;
  batch_norm_backward_thread(job: number, thread: number): void;
  norm_job_bytes(): number;
  elementwise_thread(job: number, thread: number): void;
  elementwise_job_bytes(): number;
  all_finite(x: number, n: number): number;
  bias_act(y: number, bias: number, m: number, n: number, relu: number): void;
  relu_grad_bias(y: number, gy: number, gz: number, gb: number, m: number, n: number): void;
  gather_rows(
    table: number,
    classes: number,
    count: number,
    ix: number,
    rows: number,
    width: number,
    x: number,
    y: number,
  ): void;
  copy_floats(dst: number, src: number, n: number): void;
  update_thread(job: number, thread: number): void;
  update_job_bytes(): number;
  __heap_base: WebAssembly.Global;
}

const align = (x: number, a: number) => Math.ceil(x / a) * a;

/** The kernels, their memory and their threads. */
export class WasmKernels {
  readonly simd: SimdLevel;
  readonly #memory: WebAssembly.Memory;
  readonly #exports: Exports;
  readonly #pool: ThreadPool;
  readonly #gemmJob: number;
  readonly #windowJob: number;
  readonly #normJob: number;
  readonly #elementwiseJob: number;
  readonly #updateJob: number;
  /** Where the persistent arrays start. */
  readonly #persistentStart: number;
  /** Where the next persistent array goes. */
  #persistent: number;
  /** Where the step's resident arrays start: above the persistent arrays and their room. */
  #resident: number;
  /** Where the current call's operands start: above the step's resident arrays. */
  #operands: number;
  /** Every buffer object the memory has handed out (one per size it has had). */
  readonly #buffers = new WeakSet<ArrayBufferLike>();

  private constructor(
    kernels: KernelModule,
    memory: WebAssembly.Memory,
    exports: Exports,
    pool: ThreadPool,
    layout: {
      gemmJob: number;
      windowJob: number;
      normJob: number;
      elementwiseJob: number;
      updateJob: number;
      operands: number;
    },
  ) {
    this.simd = kernels.simd;
    this.#memory = memory;
    this.#exports = exports;
    this.#pool = pool;
    this.#gemmJob = layout.gemmJob;
    this.#windowJob = layout.windowJob;
    this.#normJob = layout.normJob;
    this.#elementwiseJob = layout.elementwiseJob;
    this.#updateJob = layout.updateJob;
    this.#persistentStart = this.#persistent = layout.operands;
    this.#resident = this.#operands = layout.operands;
  }

  /**
   * Loads the kernels (the best SIMD level unless `simd` is given) and starts `threads`, each
   * opening OpenBLAS from `blasPath` unless it is null.
   */
  static async create(
    threads: number,
    simd: SimdLevel | undefined,
    blasPath: string | null,
  ): Promise<WasmKernels> {
    const kernels = await loadKernels(simd);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(kernels.module, { env: { memory } });
    const exports = instance.exports as unknown as Exports;
    const descriptors = [
      ["Gemm", exports.gemm_job_bytes(), GEMM.words],
      ["WindowJob", exports.window_job_bytes(), WINDOW_JOB.words],
      ["NormJob", exports.norm_job_bytes(), NORM_JOB.words],
      ["ElementwiseJob", exports.elementwise_job_bytes(), ELEMENTWISE_JOB.words],
      ["UpdateJob", exports.update_job_bytes(), UPDATE_JOB.words],
    ] as const;
    for (const [name, bytes, words] of descriptors) {
      if (bytes !== words * 4) {
        throw new Error(`kernels: ${name} descriptor is ${bytes} bytes, expected ${words * 4}`);
      }
    }
    const control = align(exports.__heap_base.value as number, 64);
    const gemmJob = control + 64;
    const windowJob = gemmJob + align(GEMM.words * 4, 64);
    const normJob = windowJob + align(WINDOW_JOB.words * 4, 64);
    const elementwiseJob = normJob + align(NORM_JOB.words * 4, 64);
    const updateJob = elementwiseJob + align(ELEMENTWISE_JOB.words * 4, 64);
    const work = updateJob + align(UPDATE_JOB.words * 4, 64);
    const operands = align(work + threads * exports.gemm_work_floats() * 4, 64);
    grow(memory, operands);
    new Int32Array(memory.buffer, control, CONTROL.words).fill(0);
    const pool = await ThreadPool.start(threads, kernels.module, memory, control, blasPath);
    new Int32Array(memory.buffer, gemmJob, GEMM.words)[GEMM.work] = work;
    const layout = { gemmJob, windowJob, normJob, elementwiseJob, updateJob, operands };
    return new WasmKernels(kernels, memory, exports, pool, layout);
  }

  /** Threads a large GEMM runs on. */
  get threads(): number {
    return this.#pool.threads;
  }

  /**
   * `op(A)·op(B)` for each of `batch` pairs, as in `Backend.matmul`, into a new array: by the
   * kernels, or by `blas` (opened on this thread) in the parts of `cpu/sgemm_parts.ts`.
   */
  matmul(
    a: Float32Array,
    b: Float32Array,
    s: GemmShape,
    blas: OpenBlas | null,
    alloc: Alloc = freshArray,
  ): Float32Array {
    const { m, k, n, batch } = s;
    const out = this.#residentArray(batch * m * n);
    const [pa, pb, pTaken] = this.#place([a, b], out ? 0 : batch * m * n);
    const pc = out ? out.byteOffset : pTaken;
    const threads = blas || batch * m * n * k >= THREADED_MIN_MACS ? this.#pool.threads : 1;
    new Int32Array(this.#memory.buffer, this.#gemmJob, GEMM.words).set([
      m,
      n,
      k,
      pa,
      s.transA ? m : k,
      s.transA ? 1 : 0,
      pb,
      s.transB ? k : n,
      s.transB ? 1 : 0,
      pc,
      n,
      batch,
      m * k,
      k * n,
      m * n,
      threads,
    ]);
    const job = this.#gemmJob;
    if (blas) {
      this.#pool.run(JOB_SGEMM, job, () => runSgemmShare(blas, this.#memory, job, 0));
    } else if (threads === 1) this.#exports.gemm_thread(job, 0);
    else this.#pool.run(JOB_GEMM, job, () => this.#exports.gemm_thread(job, 0));
    return out ?? this.#take(pc, alloc(batch * m * n));
  }

  /** `Backend.im2col` of NCHW `x`. */
  im2col(x: Float32Array, win: Window2d, alloc: Alloc = freshArray): Float32Array {
    const size = win.c * win.kh * win.kw * win.n * win.outH * win.outW;
    const out = this.#residentArray(size);
    const [px, po] = this.#place([x], out ? 0 : size);
    const threads = this.#threadsFor(size);
    const job = this.#setWindow(win, px, out ? out.byteOffset : po, 0, threads);
    this.#runJob(JOB_IM2COL, job, threads, () => this.#exports.im2col_thread(job, 0));
    return out ?? this.#take(po, alloc(size));
  }

  /** `Backend.col2im` of `[c·kh·kw, n·outH·outW]` columns. */
  col2im(cols: Float32Array, win: Window2d, alloc: Alloc = freshArray): Float32Array {
    const size = win.n * win.c * win.h * win.w;
    const out = this.#residentArray(size);
    // The output unless it is resident, then room for its float64 accumulators.
    const [pc, at] = this.#place([cols], (out ? 0 : size) + 2 * size + 16);
    const po = out ? out.byteOffset : at;
    const threads = this.#threadsFor(cols.length);
    const job = this.#setWindow(win, pc, po, align(at + (out ? 0 : size * 4), 64), threads);
    this.#runJob(JOB_COL2IM, job, threads, () => this.#exports.col2im_thread(job, 0));
    return out ?? this.#take(po, alloc(size));
  }

  /**
   * A new array of `size` floats for an op's result, in this memory until `endStep` (where
   * kernels read it without a copy) while the step's resident arrays have room, else `alloc`'s.
   */
  resultArray(size: number, alloc: Alloc): Float32Array {
    return this.#residentArray(size) ?? alloc(size);
  }

  /**
   * A new array of `size` floats in this memory (arbitrary contents) that lives as long as
   * the kernels, or null when the persistent arrays would pass {@link PERSISTENT_MAX_BYTES} or
   * need the step's room while the step's arrays are live.
   */
  persistentArray(size: number): Float32Array | null {
    const at = this.#persistent, end = align(at + size * 4, 64);
    if (end - this.#persistentStart > PERSISTENT_MAX_BYTES) return null;
    if (end > this.#resident) {
      if (this.#operands !== this.#resident) return null;
      const room = Math.max(PERSISTENT_SLACK_BYTES, end - this.#persistentStart);
      this.#resident = this.#operands = end + room;
    }
    grow(this.#memory, end);
    this.#persistent = end;
    return this.#view(at, size);
  }

  /** Whether `x` lies in this memory, where kernels read it in place. */
  holds(x: Float32Array): boolean {
    return this.#buffers.has(x.buffer);
  }

  /** How many floats of `arrays` a kernel call would copy in: those not in this memory. */
  copiedFloats(arrays: readonly Float32Array[]): number {
    let floats = 0;
    for (const a of arrays) if (!this.holds(a)) floats += a.length;
    return floats;
  }

  /** Ends the step: its resident arrays are no longer read, and their memory is reused. */
  endStep(): void {
    this.#operands = this.#resident;
  }

  /** Ends the worker threads. */
  destroy(): void {
    this.#pool.destroy();
  }

  /**
   * `Backend.batchNorm` on the threads, its results resident for the step (the given
   * statistics themselves when there are some); null when the step's resident arrays have no
   * room for them, and the caller runs the reference's loops instead.
   */
  batchNorm(
    { x, n, c, len, weight, bias, eps, stats }: BatchNormHostArgs,
  ): { y: Float32Array; mean: Float32Array; variance: Float32Array } | null {
    const y = this.#residentArray(x.length);
    const mean = stats ? stats.mean : this.#residentArray(c);
    const variance = stats ? stats.variance : this.#residentArray(c);
    if (!y || !mean || !variance) return null;
    const [px, pw, pb, pm, pv] = this.#place([x, weight, bias, mean, variance], 0);
    const threads = this.#threadsFor(x.length);
    const job = this.#setNorm(eps, [n, c, len, threads, stats ? 0 : 1, px, 0, pw, pb, pm, pv]);
    this.#setNormOutputs(job, y.byteOffset, 0, 0);
    // The batch's statistics are written in place (they are resident); given ones are read.
    this.#runJob(JOB_BATCH_NORM, job, threads, () => this.#exports.batch_norm_thread(job, 0));
    return { y, mean, variance };
  }

  /** `Backend.batchNormBackward` on the threads, as {@link WasmKernels.batchNorm}. */
  batchNormBackward(
    { x, gy, mean, variance, weight, n, c, len, eps, batchStats }: BatchNormBackwardHostArgs,
  ): { gx: Float32Array; gWeight: Float32Array | null; gBias: Float32Array | null } | null {
    const gx = this.#residentArray(x.length);
    const gWeight = weight && this.#residentArray(c), gBias = weight && this.#residentArray(c);
    if (!gx || (weight && (!gWeight || !gBias))) return null;
    const [px, pg, pw, pm, pv] = this.#place([x, gy, weight, mean, variance], 0);
    const threads = this.#threadsFor(x.length);
    const job = this.#setNorm(eps, [n, c, len, threads, batchStats ? 1 : 0, px, pg, pw, 0, pm, pv]);
    this.#setNormOutputs(job, gx.byteOffset, gWeight?.byteOffset ?? 0, gBias?.byteOffset ?? 0);
    const own = () => this.#exports.batch_norm_backward_thread(job, 0);
    this.#runJob(JOB_BATCH_NORM_BACKWARD, job, threads, own);
    return { gx, gWeight, gBias };
  }

  /**
   * `op` of same-size `x` and `y` (`y` unused by relu) on the threads, into a resident array;
   * null when the step's resident arrays have no room, and the caller runs its own loop.
   */
  elementwise(op: ElementwiseOp, x: Float32Array, y: Float32Array | null): Float32Array | null {
    const out = this.#residentArray(x.length);
    if (!out) return null;
    const [px, py] = this.#place([x, y], 0);
    const threads = this.#threadsFor(x.length);
    const job = this.#elementwiseJob;
    new Int32Array(this.#memory.buffer, job, ELEMENTWISE_JOB.words).set([
      ELEMENTWISE_OPS[op],
      x.length,
      threads,
      px,
      py,
      out.byteOffset,
    ]);
    this.#runJob(JOB_ELEMENTWISE, job, threads, () => this.#exports.elementwise_thread(job, 0));
    return out;
  }

  /**
   * One optimizer update in place over `p`, its gradients `g` and `state` (as the kernel's
   * `stateNames`), all of which must lie in this memory (see {@link WasmKernels.holds}).
   */
  update(
    { kind, flags, doubles }: UpdateSettings,
    p: Float32Array,
    g: Float32Array,
    state: readonly Float32Array[],
  ): void {
    const threads = this.#threadsFor(p.length, UPDATE_THREADED_MIN_ELEMENTS);
    const job = this.#updateJob;
    new Float64Array(this.#memory.buffer, job, UPDATE_JOB.doubles).set(doubles);
    const at = (x: Float32Array | undefined) => x ? x.byteOffset : 0;
    new Int32Array(this.#memory.buffer, job, UPDATE_JOB.words).set(
      [kind, p.length, threads, flags, at(p), at(g), at(state[0]), at(state[1]), at(state[2])],
      UPDATE_JOB.kind,
    );
    this.#runJob(JOB_UPDATE, job, threads, () => this.#exports.update_thread(job, 0));
  }

  /** Whether every element of `x`, which lies in this memory, is finite (on this thread). */
  allFinite(x: Float32Array): boolean {
    return this.#exports.all_finite(x.byteOffset, x.length) !== 0;
  }

  /**
   * A linear layer's epilogue in place over `[m, n]` `y`: `bias` (per column, or null) added,
   * then relu when `act` is relu, as `cpu/linear_epilogue.ts`'s `biasActivation` computes it.
   * False, with nothing done, for another activation or an array outside this memory.
   */
  biasActivation(
    y: Float32Array,
    bias: Float32Array | null,
    m: number,
    n: number,
    act: FusedActivation,
  ): boolean {
    if ((act !== "relu" && act !== "none") || !this.holds(y) || (bias && !this.holds(bias))) {
      return false;
    }
    this.#exports.bias_act(y.byteOffset, bias ? bias.byteOffset : 0, m, n, act === "relu" ? 1 : 0);
    return true;
  }

  /**
   * The backward of a relu epilogue: `gz = y <= 0 ? 0 : gy` over `[m, n]`, and into `gb`
   * unless it is null the column sums of `gz`, as `relu_grad` and `biasGrad` compute them.
   * False, with nothing done, when an array lies outside this memory.
   */
  reluGradBias(
    y: Float32Array,
    gy: Float32Array,
    gz: Float32Array,
    gb: Float32Array | null,
    m: number,
    n: number,
  ): boolean {
    if (![y, gy, gz].every((a) => this.holds(a)) || (gb && !this.holds(gb))) return false;
    this.#exports.relu_grad_bias(
      y.byteOffset,
      gy.byteOffset,
      gz.byteOffset,
      gb ? gb.byteOffset : 0,
      m,
      n,
    );
    return true;
  }

  /**
   * `gatherSamplesHost` (core/cpu/gather.ts) by block copies: rows `ix` of `table` (rows of
   * `width` floats) into `out.x`, their labels from `classes` into `out.y`. False, with
   * nothing done, when an array lies outside this memory.
   */
  gather(
    [table, classes]: readonly [Float32Array, Float32Array],
    ix: Float32Array,
    width: number,
    { x, y }: { x: Float32Array; y: Float32Array },
  ): boolean {
    if (![table, classes, ix, x, y].every((a) => this.holds(a))) return false;
    const at = (a: Float32Array) => a.byteOffset;
    this.#exports.gather_rows(
      at(table),
      at(classes),
      classes.length,
      at(ix),
      ix.length,
      width,
      at(x),
      at(y),
    );
    return true;
  }

  /** `dst.set(src)` by a block copy; false, with nothing done, unless both lie in this memory. */
  copy(dst: Float32Array, src: Float32Array): boolean {
    if (!this.holds(dst) || !this.holds(src) || src.length > dst.length) return false;
    this.#exports.copy_floats(dst.byteOffset, src.byteOffset, src.length);
    return true;
  }

  /** The pool's threads from `min` elements, else 1. */
  #threadsFor(elements: number, min = THREADED_MIN_ELEMENTS): number {
    return elements >= min ? this.#pool.threads : 1;
  }

  /** Writes `eps` and the fields `n` to `variance` of the norm job; returns its offset. */
  #setNorm(eps: number, fields: number[]): number {
    new Float64Array(this.#memory.buffer, this.#normJob, 1)[0] = eps;
    new Int32Array(this.#memory.buffer, this.#normJob, NORM_JOB.words).set(fields, NORM_JOB.n);
    return this.#normJob;
  }

  /** Writes the output fields of the norm job. */
  #setNormOutputs(job: number, out: number, gWeight: number, gBias: number): void {
    new Int32Array(this.#memory.buffer, job, NORM_JOB.words).set(
      [out, gWeight, gBias],
      NORM_JOB.out,
    );
  }

  /** Writes the window job's descriptor and returns its offset. */
  #setWindow(w: Window2d, src: number, out: number, acc: number, threads: number): number {
    new Int32Array(this.#memory.buffer, this.#windowJob, WINDOW_JOB.words).set([
      w.n,
      w.c,
      w.h,
      w.w,
      w.outH,
      w.outW,
      w.kh,
      w.kw,
      w.strideH,
      w.strideW,
      w.padH,
      w.padW,
      w.dilationH,
      w.dilationW,
      src,
      out,
      acc,
      threads,
    ]);
    return this.#windowJob;
  }

  /** Runs job `job` on `threads` threads (1 or the pool's), `own` being this thread's share. */
  #runJob(kind: number, job: number, threads: number, own: () => void): void {
    if (threads === 1) own();
    else this.#pool.run(kind, job, own);
  }

  /**
   * A new array of `size` floats in this memory that lives until `endStep`, or null when the
   * step's resident arrays would pass {@link RESIDENT_MAX_BYTES}.
   */
  #residentArray(size: number): Float32Array | null {
    const at = this.#operands, end = align(at + size * 4, 64);
    if (end - this.#resident > RESIDENT_MAX_BYTES || end > MAX_PAGES * PAGE) return null;
    grow(this.#memory, end);
    this.#operands = end;
    return this.#view(at, size);
  }

  /** A view of `size` floats at byte `at`, through the memory's current buffer. */
  #view(at: number, size: number): Float32Array {
    const buffer = this.#memory.buffer;
    this.#buffers.add(buffer);
    return new Float32Array(buffer, at, size);
  }

  /**
   * The byte offsets of `inputs` in memory, copying into the operand area each that does not
   * lie in this memory already, then of `outSize` floats reserved after them.
   */
  #place(inputs: readonly (Float32Array | null)[], outSize: number): number[] {
    const offsets: number[] = [];
    let at = this.#operands;
    for (const x of inputs) {
      if (x === null) offsets.push(0);
      else if (this.holds(x)) offsets.push(x.byteOffset);
      else offsets.push(at), at = align(at + x.length * 4, 64);
    }
    offsets.push(at);
    grow(this.#memory, at + outSize * 4);
    const heap = new Float32Array(this.#memory.buffer);
    inputs.forEach((x, i) => {
      if (x && offsets[i] >= this.#operands) heap.set(x, offsets[i] / 4);
    });
    return offsets;
  }

  /** Copies the result at `offset` into `out`, which it fills. */
  #take(offset: number, out: Float32Array): Float32Array {
    out.set(new Float32Array(this.#memory.buffer, offset, out.length));
    return out;
  }
}

function grow(memory: WebAssembly.Memory, bytes: number): void {
  const pages = Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE;
  if (pages <= 0) return;
  if (bytes > MAX_PAGES * PAGE) {
    throw new RangeError(`cpu kernels: an op needs ${bytes} bytes, over the 2 GiB wasm limit`);
  }
  memory.grow(pages);
}
