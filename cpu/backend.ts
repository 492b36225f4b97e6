/**
 * The fast CPU backend: the reference backend (`core/cpu/backend.ts`) with its matrix products,
 * im2col/col2im and batch norm replaced by WebAssembly kernels on a pool of threads, and by the
 * system's OpenBLAS for large products where it can be loaded; elementwise ops, reductions,
 * permutations, max pooling, the fused linear layer's bias and activation and the divergence
 * watch's scan as specialised loops (`cpu/elementwise.ts`, `cpu/reduce_permute.ts`,
 * `cpu/max_pool.ts`, `cpu/linear_epilogue.ts`, `cpu/all_finite.ts`). SGD, Adam and AdamW
 * updates run in the kernels (`cpu/optimizer_update.ts`), the other optimizers the records'
 * own loops (core/optim/updates/), as the reference does. The cross-entropy, its gradient and
 * the metric tally share one batch's row exponentials (`cpu/row_exps_cache.ts`).
 *
 * Storages live in the kernels' shared memory wherever it has room: persistent ones
 * (parameters, gradients, optimizer state) until `destroy`, the others (every op's output,
 * the gathered batch) until `endStep`; so kernels, threads and OpenBLAS read and write them
 * in place, without copies in or out.
 *
 * @module
 */

import type {
  Backend,
  BatchNormArgs,
  BatchNormBackwardArgs,
  BatchNormGrads,
  BatchNormStats,
  BinaryArgs,
  FusedActivation,
  LinearArgs,
  LinearBackwardArgs,
  OpScalars,
  OptimizerStepArgs,
  ReduceArgs,
  Storage,
  Window2d,
} from "../core/backend.ts";
import {
  activationGradOf,
  batchNormBackwardOperands,
  batchNormOperands,
  CpuBackend,
  CpuStorage,
  type ProductShape,
} from "../core/cpu/backend.ts";
import { batchNormBackwardHost, batchNormHost } from "../core/cpu/batch_norm.ts";
import { gatherSamplesHost } from "../core/cpu/gather.ts";
import type { UnaryOpName } from "../core/elementwise.ts";
import { UsageError } from "../core/errors.ts";
import { allFinite } from "./all_finite.ts";
import { BufferPool } from "./buffer_pool.ts";
import { binaryFast, unaryFast } from "./elementwise.ts";
import { biasActivation, biasGrad } from "./linear_epilogue.ts";
import { maxPool2dBackwardFast, maxPool2dFast } from "./max_pool.ts";
import { permuteFast, reduceFast } from "./reduce_permute.ts";
import { RowExpsCache } from "./row_exps_cache.ts";
import type { RowExps } from "../core/cpu/row_exps.ts";
import type { SimdLevel } from "./kernels.ts";
import { OpenBlas, OPENBLAS_DEFAULT } from "./openblas.ts";
import { updateSettings } from "./optimizer_update.ts";
import { runSgemmParts, sgemmParts } from "./sgemm_parts.ts";
import { ELEMENTWISE_OPS, type ElementwiseOp, type GemmShape } from "./thread_protocol.ts";
import { WasmKernels } from "./wasm_kernels.ts";

/** Multiply-adds from which a product goes to OpenBLAS (below it the FFI call is not worth it). */
const OPENBLAS_MIN_MACS = 1 << 14;

/** Multiply-adds per copied element from which OpenBLAS runs on the kernel threads. */
const THREADED_MACS_PER_COPY = 64;

/**
 * Elements from which relu, relu_grad, add and mul of same-shape tensors run in WebAssembly
 * on the threads (below it the JS loops of `cpu/elementwise.ts` beat waking the threads).
 */
const WASM_ELEMENTWISE_MIN = 1 << 16;

/**
 * Bytes of training samples the backend holds in the kernels' memory, where each step's batch
 * is gathered without a copy: half of the persistent arrays' room (cpu/wasm_kernels.ts), so
 * the parameters and optimizer state keep the rest. The bundled digits take 25 MB.
 */
const SAMPLE_BUDGET = 256 * 1024 * 1024;

/** How to build the fast CPU backend. */
export interface FastCpuOptions {
  /** Threads for the kernels and for OpenBLAS (at least 1). */
  threads: number;
  /** `"auto"` tries the system OpenBLAS, `"wasm"` never does, a path opens that library. */
  sgemm?: "auto" | "wasm" | string;
  /** Forces a SIMD level (tests); default: relaxed SIMD where the engine has it. */
  simd?: SimdLevel;
}

/** The cores Deno sees, split between `workers` processes on this machine (at least 1 each). */
export function defaultThreads(workers = 1): number {
  return Math.max(1, Math.floor((navigator.hardwareConcurrency || 1) / workers));
}

/**
 * Creates the fast CPU backend, starting its threads: call `destroy()` when done, as the
 * threads keep the process alive. A BLAS path that does not load is a {@link UsageError}
 * naming `--sgemm`. Needs read access to `cpu/` (the kernels and the thread's module).
 */
export async function createFastCpuBackend(options: FastCpuOptions): Promise<Backend> {
  const threads = Math.max(1, Math.floor(options.threads));
  const sgemm = options.sgemm ?? "auto";
  let blas: OpenBlas | null = null;
  let blasNote = "";
  if (sgemm !== "wasm") {
    const opened = OpenBlas.open(sgemm === "auto" ? OPENBLAS_DEFAULT : sgemm);
    if (typeof opened !== "string") blas = opened;
    else if (sgemm === "auto") blasNote = ` (OpenBLAS: ${opened})`;
    else {
      throw new UsageError(
        "--sgemm",
        `expected auto, wasm or the path of an OpenBLAS library, got "${sgemm}" (${opened})`,
      );
    }
  }
  try {
    const kernels = await WasmKernels.create(threads, options.simd, blas && blas.path);
    return new FastCpuBackend(kernels, blas, blasNote);
  } catch (e) {
    blas?.close();
    throw e;
  }
}

function data(s: Storage): Float32Array {
  return (s as CpuStorage).data;
}

class FastCpuBackend extends CpuBackend {
  override readonly description: string;
  readonly hostSampleBudget = SAMPLE_BUDGET;
  readonly #kernels: WasmKernels;
  readonly #blas: OpenBlas | null;
  /** Outputs of this backend's own ops when the kernels' memory has no room, recycled at `endStep`. */
  readonly #pool = new BufferPool();
  /** An op's output: in the kernels' memory until `endStep` (kernels read it in place). */
  readonly #take = (size: number) => this.#kernels.resultArray(size, this.#poolTake);
  readonly #poolTake = (size: number) => this.#pool.take(size);
  readonly #rowExps = new RowExpsCache();

  constructor(kernels: WasmKernels, blas: OpenBlas | null, blasNote: string) {
    super();
    this.#kernels = kernels;
    this.#blas = blas;
    const sgemm = blas ? `openblas (${blas.core})` : `wasm${blasNote}`;
    this.description = `wasm ${kernels.simd}, ${kernels.threads} thread${
      kernels.threads === 1 ? "" : "s"
    }; sgemm: ${sgemm}`;
  }

  protected override product(
    x: Float32Array,
    y: Float32Array,
    { m, k, n, transA = false, transB = false, batch = 1 }: ProductShape,
  ): Float32Array {
    const shape: GemmShape = { m, k, n, transA, transB, batch };
    const macs = batch * m * n * k;
    const blas = this.#blas && m * n * k >= OPENBLAS_MIN_MACS ? this.#blas : null;
    if (!blas) return this.#kernels.matmul(x, y, shape, null, this.#take);
    const parts = sgemmParts(shape);
    // Threads need the operands in shared memory, and the copies cost more than a second
    // thread saves unless there are many multiply-adds per element copied (measured on
    // 2 cores: 64×576×1024, 54 per element, was still faster on one thread; the MLP's
    // batch-1024 products, about 100 per element, are faster on two). Otherwise OpenBLAS
    // runs the same parts on the arrays as they are, on this thread. Operands that already
    // live there (im2col's columns, earlier results) cost no copy.
    const copied = this.#kernels.copiedFloats([x, y]);
    if (
      parts.length === 1 || this.#kernels.threads === 1 || macs < THREADED_MACS_PER_COPY * copied
    ) {
      const c = this.#kernels.resultArray(batch * m * n, this.#take);
      runSgemmParts(blas, shape, { a: x, aAt: 0, b: y, bAt: 0, c, cAt: 0 }, parts, 0, parts.length);
      return c;
    }
    return this.#kernels.matmul(x, y, shape, blas, this.#take);
  }

  override linear({ x, w, b, m, k, n, act }: LinearArgs): Storage {
    const y = this.product(data(x), data(w), { m, k, n, transB: true });
    const bias = b && data(b);
    if (!this.#kernels.biasActivation(y, bias, m, n, act)) biasActivation(y, bias, m, n, act);
    return new CpuStorage(y);
  }

  override linearBackward(
    { x, w, y, gy, m, k, n, act, hasBias, needInputGrad }: LinearBackwardArgs,
  ): { gx: Storage | null; gw: Storage; gb: Storage | null } {
    const { gz, gb } = this.#linearGradOut(data(y), data(gy), m, n, act, hasBias);
    const gx = needInputGrad ? this.product(gz, data(w), { m, k: n, n: k }) : null;
    const gw = this.product(gz, data(x), { m: n, k: m, n: k, transA: true });
    return {
      gx: gx && new CpuStorage(gx),
      gw: new CpuStorage(gw),
      gb: gb && new CpuStorage(gb),
    };
  }

  /**
   * The gradient before a linear layer's activation, `gz`, and its bias gradient (null
   * without bias): one pass in the kernels for relu, where the arrays lie in their memory.
   */
  #linearGradOut(
    y: Float32Array,
    gy: Float32Array,
    m: number,
    n: number,
    act: FusedActivation,
    hasBias: boolean,
  ): { gz: Float32Array; gb: Float32Array | null } {
    if (act === "none") return { gz: gy, gb: hasBias ? biasGrad(gy, m, n, this.#take(n)) : null };
    const size = [m * n];
    if (act === "relu") {
      const gz = this.#take(m * n), gb = hasBias ? this.#take(n) : null;
      if (this.#kernels.reluGradBias(y, gy, gz, gb, m, n)) return { gz, gb };
    }
    const gz = binaryFast(activationGradOf[act], y, size, gy, size, size, 0, 0, this.#take);
    return { gz, gb: hasBias ? biasGrad(gz, m, n, this.#take(n)) : null };
  }

  override zeros(size: number, persistent = false): Storage {
    return new CpuStorage(this.#array(size, persistent).fill(0));
  }

  override upload(host: Float32Array, persistent = false): Storage {
    const copy = this.#array(host.length, persistent);
    copy.set(host);
    return new CpuStorage(copy);
  }

  /**
   * A new array of `size` floats: persistent ones in the kernels' memory while it has room for
   * them (else plain arrays), the others as an op's output.
   */
  #array(size: number, persistent: boolean): Float32Array {
    if (!persistent) return this.#take(size);
    return this.#kernels.persistentArray(size) ?? new Float32Array(size);
  }

  override gatherSamples(
    images: Storage,
    labels: Storage,
    idx: Storage,
    width: number,
  ): { x: Storage; y: Storage } {
    // Written straight into the kernels' memory, where the first layer's product reads it.
    const ix = data(idx), table = data(images), classes = data(labels);
    const x = this.#take(ix.length * width), y = this.#take(ix.length);
    if (!this.#kernels.gather([table, classes], ix, width, { x, y })) {
      gatherSamplesHost(table, classes, ix, width, x, y);
    }
    return { x: new CpuStorage(x), y: new CpuStorage(y) };
  }

  override copy(dst: Storage, src: Storage): void {
    if (!this.#kernels.copy(data(dst), data(src))) super.copy(dst, src);
  }

  /** `op` in the kernels when it is one of theirs on large same-size operands, else null. */
  #elementwiseKernel(op: string, x: Float32Array, y: Float32Array | null): Float32Array | null {
    if (x.length < WASM_ELEMENTWISE_MIN || (y && y.length !== x.length)) return null;
    if (!Object.hasOwn(ELEMENTWISE_OPS, op)) return null;
    return this.#kernels.elementwise(op as ElementwiseOp, x, y);
  }

  override unary(op: UnaryOpName, x: Storage, { alpha = 0, beta = 0 }: OpScalars = {}): Storage {
    const fast = op === "relu" ? this.#elementwiseKernel(op, data(x), null) : null;
    if (fast) return new CpuStorage(fast);
    return new CpuStorage(unaryFast(op, data(x), alpha, beta, this.#take));
  }

  override binary(
    { op, a, aShape, b, bShape, outShape, alpha = 0, beta = 0 }: BinaryArgs,
  ): Storage {
    const fast = this.#elementwiseKernel(op, data(a), data(b));
    if (fast) return new CpuStorage(fast);
    const out = binaryFast(op, data(a), aShape, data(b), bShape, outShape, alpha, beta, this.#take);
    return new CpuStorage(out);
  }

  override affine(x: Storage, mul: number, add: number): Storage {
    const src = data(x), out = this.#take(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] * mul + add;
    return new CpuStorage(out);
  }

  override reduce({ op, x, outer, len, inner }: ReduceArgs): Storage {
    return new CpuStorage(reduceFast(op, data(x), outer, len, inner, this.#take));
  }

  override permute(x: Storage, shape: readonly number[], dims: readonly number[]): Storage {
    return new CpuStorage(permuteFast(data(x), shape, dims, this.#take));
  }

  override maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage } {
    const { out, indices } = maxPool2dFast(data(x), win, this.#take);
    return { out: new CpuStorage(out), indices: new CpuStorage(indices) };
  }

  override maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage {
    return new CpuStorage(maxPool2dBackwardFast(data(gy), data(indices), win, this.#take));
  }

  override optimizerStep(args: OptimizerStepArgs): void {
    const { kernel, params, grads, state, hyper } = args;
    const settings = updateSettings(kernel.name, hyper);
    const arrays = [data(params), data(grads), ...state.map(data)];
    if (!settings || !arrays.every((a) => this.#kernels.holds(a))) return super.optimizerStep(args);
    this.#kernels.update(settings, arrays[0], arrays[1], arrays.slice(2));
  }

  /** The cross-entropy forward, its gradient and the tally share one batch's exponentials. */
  protected override rowExps(logits: Float32Array, rows: number, cols: number): RowExps {
    return this.#rowExps.of(logits, rows, cols);
  }

  override markNonFinite(flag: Storage, x: Storage, mark: number): void {
    // The reference's scan finds which element it was, once there is one.
    const xs = data(x);
    if (data(flag)[0] !== 0) return;
    const finite = this.#kernels.holds(xs) ? this.#kernels.allFinite(xs) : allFinite(xs);
    if (!finite) super.markNonFinite(flag, x, mark);
  }

  override im2col(x: Storage, win: Window2d): Storage {
    return new CpuStorage(this.#kernels.im2col(data(x), win, this.#take));
  }

  override col2im(cols: Storage, win: Window2d): Storage {
    return new CpuStorage(this.#kernels.col2im(data(cols), win, this.#take));
  }

  override batchNorm(args: BatchNormArgs): BatchNormStats & { y: Storage } {
    const operands = batchNormOperands(args);
    const { y, mean, variance } = this.#kernels.batchNorm(operands) ??
      batchNormHost(operands, this.#take);
    return { y: new CpuStorage(y), mean: new CpuStorage(mean), variance: new CpuStorage(variance) };
  }

  override batchNormBackward(args: BatchNormBackwardArgs): BatchNormGrads {
    const operands = batchNormBackwardOperands(args);
    const r = this.#kernels.batchNormBackward(operands) ??
      batchNormBackwardHost(operands, this.#take);
    const wrap = (a: Float32Array | null) => a && new CpuStorage(a);
    return { gx: new CpuStorage(r.gx), gWeight: wrap(r.gWeight), gBias: wrap(r.gBias) };
  }

  override endStep(): void {
    this.#pool.recycle();
    this.#kernels.endStep();
  }

  override destroy(): void {
    this.#pool.clear();
    this.#kernels.destroy();
    this.#blas?.close();
  }
}
