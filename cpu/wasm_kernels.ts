/**
 * The WebAssembly kernels over one shared linear memory: operands are copied in, the kernel
 * runs (GEMMs large enough to pay for it on every thread of the pool, through the kernels or
 * through OpenBLAS), and the result is copied out into an array from `alloc`.
 *
 * Memory layout: the module's own area up to `__heap_base`; the pool's control words; the
 * GEMM and window descriptors; each thread's packing scratch; the step's resident arrays
 * (the results of products and im2col, which later kernels read in place instead of having
 * them copied out and back in; given back at `endStep`); then the operands of the current
 * call, which start over at every call.
 *
 * @module
 */

import type { Window2d } from "../core/backend.ts";
import { type Alloc, freshArray } from "./buffer_pool.ts";
import { type KernelModule, loadKernels, type SimdLevel } from "./kernels.ts";
import type { OpenBlas } from "./openblas.ts";
import { runSgemmShare } from "./sgemm_parts.ts";
import { ThreadPool } from "./thread_pool.ts";
import {
  CONTROL,
  GEMM,
  type GemmShape,
  JOB_COL2IM,
  JOB_GEMM,
  JOB_IM2COL,
  JOB_SGEMM,
  WINDOW_JOB,
} from "./thread_protocol.ts";

const PAGE = 65536;
const MAX_PAGES = 32768;
/** Multiply-adds below which a GEMM stays on the calling thread (waking workers costs ~10 µs). */
const THREADED_MIN_MACS = 1 << 20;
/** Bytes of memory that a step's resident arrays may take; past them, results are copied out. */
const RESIDENT_MAX_BYTES = 1280 * 1024 * 1024;
/** Elements below which im2col and col2im stay on the calling thread. */
const THREADED_MIN_WINDOW_ELEMENTS = 1 << 16;

interface Exports {
  gemm_thread(job: number, thread: number): void;
  gemm_work_floats(): number;
  gemm_job_bytes(): number;
  im2col_thread(job: number, thread: number): void;
  col2im_thread(job: number, thread: number): void;
  window_job_bytes(): number;
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
  /** Where the resident arrays start. */
  readonly #resident: number;
  /** Where the current call's operands start: above the step's resident arrays. */
  #operands: number;
  /** The step's resident arrays, each with the step it belongs to. */
  readonly #residents = new WeakMap<Float32Array, number>();
  #step = 0;

  private constructor(
    kernels: KernelModule,
    memory: WebAssembly.Memory,
    exports: Exports,
    pool: ThreadPool,
    layout: { gemmJob: number; windowJob: number; operands: number },
  ) {
    this.simd = kernels.simd;
    this.#memory = memory;
    this.#exports = exports;
    this.#pool = pool;
    this.#gemmJob = layout.gemmJob;
    this.#windowJob = layout.windowJob;
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
    if (exports.gemm_job_bytes() !== GEMM.words * 4) {
      throw new Error(
        `kernels: Gemm descriptor is ${exports.gemm_job_bytes()} bytes, expected ${GEMM.words * 4}`,
      );
    }
    if (exports.window_job_bytes() !== WINDOW_JOB.words * 4) {
      throw new Error(
        `kernels: WindowJob descriptor is ${exports.window_job_bytes()} bytes, expected ${
          WINDOW_JOB.words * 4
        }`,
      );
    }
    const control = align(exports.__heap_base.value as number, 64);
    const gemmJob = control + 64;
    const windowJob = gemmJob + align(GEMM.words * 4, 64);
    const work = windowJob + align(WINDOW_JOB.words * 4, 64);
    const operands = align(work + threads * exports.gemm_work_floats() * 4, 64);
    grow(memory, operands);
    new Int32Array(memory.buffer, control, CONTROL.words).fill(0);
    const pool = await ThreadPool.start(threads, kernels.module, memory, control, blasPath);
    new Int32Array(memory.buffer, gemmJob, GEMM.words)[GEMM.work] = work;
    return new WasmKernels(kernels, memory, exports, pool, { gemmJob, windowJob, operands });
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
    const job = this.#setWindow(win, px, out ? out.byteOffset : po, 0, size);
    this.#runWindow(JOB_IM2COL, job, () => this.#exports.im2col_thread(job, 0));
    return out ?? this.#take(po, alloc(size));
  }

  /** `Backend.col2im` of `[c·kh·kw, n·outH·outW]` columns. */
  col2im(cols: Float32Array, win: Window2d, alloc: Alloc = freshArray): Float32Array {
    const size = win.n * win.c * win.h * win.w;
    // The output, then room for its float64 accumulators.
    const [pc, po] = this.#place([cols], size + 2 * size + 16);
    const job = this.#setWindow(win, pc, po, align(po + size * 4, 64), cols.length);
    this.#runWindow(JOB_COL2IM, job, () => this.#exports.col2im_thread(job, 0));
    return this.#take(po, alloc(size));
  }

  /**
   * A new array of `size` floats for an op's result, in this memory until `endStep` (where
   * kernels read it without a copy) while the step's resident arrays have room, else `alloc`'s.
   */
  resultArray(size: number, alloc: Alloc): Float32Array {
    return this.#residentArray(size) ?? alloc(size);
  }

  /** How many floats of `arrays` a kernel call would copy in: those not resident this step. */
  copiedFloats(arrays: readonly Float32Array[]): number {
    let floats = 0;
    for (const a of arrays) if (this.#residents.get(a) !== this.#step) floats += a.length;
    return floats;
  }

  /** Ends the step: its resident arrays are no longer read, and their memory is reused. */
  endStep(): void {
    this.#step++;
    this.#operands = this.#resident;
  }

  /** Ends the worker threads. */
  destroy(): void {
    this.#pool.destroy();
  }

  /**
   * Writes the window job's descriptor, on every thread of the pool from
   * {@link THREADED_MIN_WINDOW_ELEMENTS} elements, and returns its offset.
   */
  #setWindow(w: Window2d, src: number, out: number, acc: number, elements: number): number {
    const threads = elements >= THREADED_MIN_WINDOW_ELEMENTS ? this.#pool.threads : 1;
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

  /** Runs window job `job` on its threads, `own` being the calling thread's share. */
  #runWindow(kind: number, job: number, own: () => void): void {
    const threads = new Int32Array(this.#memory.buffer, job, WINDOW_JOB.words)[WINDOW_JOB.threads];
    if (threads === 1) own();
    else this.#pool.run(kind, job, own);
  }

  /**
   * A new array of `size` floats in this memory that lives until `endStep`, or null when the
   * step's resident arrays would pass {@link RESIDENT_MAX_BYTES}.
   */
  #residentArray(size: number): Float32Array | null {
    const at = this.#operands, end = align(at + size * 4, 64);
    if (end - this.#resident > RESIDENT_MAX_BYTES) return null;
    grow(this.#memory, end);
    this.#operands = end;
    const array = new Float32Array(this.#memory.buffer, at, size);
    this.#residents.set(array, this.#step);
    return array;
  }

  /**
   * The byte offsets of `inputs` in memory, copying into the operand area each that is not
   * one of this step's resident arrays, then of `outSize` floats reserved after them.
   */
  #place(inputs: Float32Array[], outSize: number): number[] {
    const offsets: number[] = [];
    let at = this.#operands;
    for (const x of inputs) {
      if (this.#residents.get(x) === this.#step) offsets.push(x.byteOffset);
      else offsets.push(at), at = align(at + x.length * 4, 64);
    }
    offsets.push(at);
    grow(this.#memory, at + outSize * 4);
    const heap = new Float32Array(this.#memory.buffer);
    inputs.forEach((x, i) => {
      if (offsets[i] >= this.#operands) heap.set(x, offsets[i] / 4);
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
