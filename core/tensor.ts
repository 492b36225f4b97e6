/**
 * `Tensor`: a shape over backend storage, plus what reverse-mode autograd needs (the node
 * that made it, whether it wants a gradient, where its gradient goes).
 *
 * @module
 */

import type { Backend, Storage } from "./backend.ts";
import { ShapeError } from "./errors.ts";
import { sizeOf } from "./shape.ts";

/** The gradients of an op's inputs, in its inputs' order. */
export type InputGrads = readonly (Tensor | null)[];

/** How a tensor was computed: the op's name, its inputs, and its vector-Jacobian product. */
export interface GradNode {
  /** The op's name, e.g. `matmul`. */
  readonly op: string;
  /** Inputs in the op's order; null for an absent optional input (a missing bias). */
  readonly inputs: readonly (Tensor | null)[];
  /**
   * Gradients with respect to each input (null where an input needs none); a promise of
   * them for an op that waits on other ranks (SyncBatchNorm's sums), which only
   * `backwardAsync` runs.
   */
  backward(g: Tensor): InputGrads | Promise<InputGrads>;
}

/** An f32 tensor on a backend. Immutable: ops return new tensors. */
export class Tensor {
  /** Gradient of a leaf after `backward()` (leaves without `gradStorage`). */
  grad: Tensor | null = null;
  /** For parameters: the flat-buffer view that `backward()` accumulates into. */
  gradStorage: Storage | null = null;

  /**
   * Wraps existing storage. `shape`'s size must equal the storage's size.

   * @example
   * ```ts
   * import { createCpuBackend, Tensor } from "../mod.ts";
   * const b = createCpuBackend();
   * const t = new Tensor(b, b.upload(new Float32Array([1, 2, 3, 4])), [2, 2]);
   * console.log(t.shape); // [2, 2]
   * ```
   */
  constructor(
    readonly backend: Backend,
    readonly storage: Storage,
    readonly shape: readonly number[],
    public requiresGrad = false,
    readonly node: GradNode | null = null,
  ) {
    if (sizeOf(shape) !== storage.size) {
      throw new ShapeError(
        "Tensor",
        `shape [${shape}] needs ${sizeOf(shape)} elements, storage has ${storage.size}`,
      );
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.storage.size;
  }

  /** Copies the values to the host (waits for queued work). */
  toArray(): Promise<Float32Array> {
    return this.backend.read(this.storage);
  }
}

/**
 * A tensor holding host `data` with `shape` (the data's length must match).

 * @example
 * ```ts
 * import { createCpuBackend, tensor } from "../mod.ts";
 * const x = tensor(createCpuBackend(), [1, 2, 3, 4, 5, 6], [2, 3], true);
 * console.log(x.size); // 6
 * ```
 */
export function tensor(
  backend: Backend,
  data: ArrayLike<number>,
  shape: readonly number[],
  requiresGrad = false,
): Tensor {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  return new Tensor(backend, backend.upload(values), shape, requiresGrad);
}

/** A tensor of zeros with `shape`. */
export function zeros(backend: Backend, shape: readonly number[], requiresGrad = false): Tensor {
  return new Tensor(backend, backend.zeros(sizeOf(shape)), shape, requiresGrad);
}

/** A tensor of `shape` filled with `value`. */
export function full(backend: Backend, shape: readonly number[], value: number): Tensor {
  return new Tensor(backend, backend.affine(backend.zeros(sizeOf(shape)), 0, value), shape);
}
