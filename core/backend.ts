/**
 * The contract every compute backend fulfils: allocate f32 storage, upload, run a
 * primitive op, read back. Shapes and autograd live above this line (`core/tensor.ts`);
 * a backend sees only flat element counts and the few dimensions each op needs.
 *
 * Work may be queued rather than run at once (the WebGPU backend records into one
 * command encoder); {@link Backend.flush} submits it and {@link Backend.read} waits for it.
 *
 * @module
 */

import type { BinaryOpName, UnaryOpName } from "./elementwise.ts";
import type { OptimizerKind } from "./optim/kinds.ts";

/** A handle to `size` f32 elements owned by a backend; may be a view into a larger one. */
export interface Storage {
  /** Number of f32 elements. */
  readonly size: number;
}

/** Activation that the fused linear op applies after `x·Wᵀ + b`. */
export type FusedActivation = "none" | "relu" | "tanh" | "sigmoid";

/** Reductions over the middle axis of an `[outer, len, inner]` view. */
export type ReduceOp = "sum" | "max";

/** Hyper-parameters of one fused optimizer update, in PyTorch's names. */
export interface OptimizerHyper {
  lr: number;
  weightDecay: number;
  maximize: boolean;
  // SGD
  momentum: number;
  dampening: number;
  nesterov: boolean;
  // Adam family
  beta1: number;
  beta2: number;
  eps: number;
  amsgrad: boolean;
  /** 1-based step count after this update (Adam's bias correction; SGD's first step). */
  step: number;
}

/** A compute backend. Every method that returns a `Storage` allocates it from the step arena. */
export interface Backend {
  /** Short name for logs: "cpu" or "webgpu". */
  readonly name: string;
  /** Human-readable description of the device, e.g. the WebGPU adapter. */
  readonly description: string;
  /** Element alignment that view offsets into a flat buffer must respect. */
  readonly viewAlignment: number;

  /** Allocates `size` zeros. `persistent` storage survives {@link Backend.endStep}. */
  zeros(size: number, persistent?: boolean): Storage;
  /** Copies host data into new storage. */
  upload(data: Float32Array, persistent?: boolean): Storage;
  /** Overwrites `dst` (same size) with host data. */
  write(dst: Storage, data: Float32Array): void;
  /** A view of `size` elements of `base` from `offset` (a multiple of `viewAlignment`). */
  view(base: Storage, offset: number, size: number): Storage;
  /** Resolves with a host copy of the storage's elements (flushes pending work). */
  read(s: Storage): Promise<Float32Array>;
  /** Submits queued work. Cheap when nothing is queued. */
  flush(): void;
  /**
   * Ends a training step: flushes, then returns every non-persistent storage allocated
   * since the last call to the pool. Handles to those storages must not be used again.
   */
  endStep(): void;
  /** Frees every resource; the backend is unusable afterwards. */
  destroy(): void;

  /** `out[i] = op(x[i])`; `alpha` is the op's scalar parameter where it has one. */
  unary(op: UnaryOpName, x: Storage, alpha?: number): Storage;
  /**
   * `out = op(a, b)` with NumPy broadcasting. `outShape` is the broadcast shape; `aShape` and
   * `bShape` are right-aligned against it (missing leading dims are 1).
   */
  binary(
    op: BinaryOpName,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
  ): Storage;
  /** Broadcasts `x` of `shape` to `outShape` (NumPy rules), materialising the copies. */
  expand(x: Storage, shape: readonly number[], outShape: readonly number[]): Storage;
  /** `out = x * mul + add`, elementwise. */
  affine(x: Storage, mul: number, add: number): Storage;
  /** Reduces `[outer, len, inner]` over `len`, giving `[outer, inner]`. */
  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number): Storage;
  /**
   * Matrix product `op(A)·op(B)` giving `[m, n]`: `A` is `[m, k]` (or `[k, m]` when
   * `transA`), `B` is `[k, n]` (or `[n, k]` when `transB`).
   */
  matmul(
    a: Storage,
    b: Storage,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ): Storage;
  /** Fused `act(x·Wᵀ + b)`: `x` is `[m, k]`, `w` is `[n, k]`, `b` is `[n]` or null. */
  linear(
    x: Storage,
    w: Storage,
    b: Storage | null,
    m: number,
    k: number,
    n: number,
    act: FusedActivation,
  ): Storage;
  /**
   * Backward of {@link Backend.linear} given its output `y` and upstream gradient `gy`
   * (`[m, n]`): returns `gx` `[m, k]` (null unless `needInputGrad`: a first layer's input
   * needs none), `gw` `[n, k]` and `gb` `[n]` (null without bias).
   */
  linearBackward(
    x: Storage,
    w: Storage,
    y: Storage,
    gy: Storage,
    m: number,
    k: number,
    n: number,
    act: FusedActivation,
    hasBias: boolean,
    needInputGrad: boolean,
  ): { gx: Storage | null; gw: Storage; gb: Storage | null };
  /** Row-wise numerically stable softmax (or log-softmax) of `[rows, cols]`. */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /**
   * `out[r] = x[r, idx[r]]` for `[rows, cols]` x; rows whose index is outside `[0, cols)`
   * (an `ignore_index`) give 0. Indices are stored as f32 integers.
   */
  gather(x: Storage, idx: Storage, rows: number, cols: number): Storage;
  /** Inverse of gather: `[rows, cols]` zeros with `g[r]` at `idx[r]` (skipping bad indices). */
  scatter(g: Storage, idx: Storage, rows: number, cols: number): Storage;
  /** Index of the first maximum of each row of `[rows, cols]`, as f32. */
  argmax(x: Storage, rows: number, cols: number): Storage;
  /** In place: `dst += alpha * src` (same sizes). Used to accumulate gradients and metrics. */
  axpy(dst: Storage, src: Storage, alpha: number): void;
  /** In place: `dst = src` (same sizes). */
  copy(dst: Storage, src: Storage): void;
  /**
   * One fused optimizer update over flat buffers, in place. `state` holds the optimizer's
   * buffers in the order {@link optimizerStateNames} gives for `kind`.
   */
  optimizerStep(
    kind: OptimizerKind,
    params: Storage,
    grads: Storage,
    state: readonly Storage[],
    hyper: OptimizerHyper,
  ): void;
}
