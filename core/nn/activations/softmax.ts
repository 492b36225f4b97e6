/**
 * `Softmax` and `LogSoftmax` over one dimension, as layers.
 *
 * @module
 */

import { UsageError } from "../../errors.ts";
import { logSoftmax, softmax } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";

/** Options of {@link Softmax} and {@link LogSoftmax}. */
export interface SoftmaxOptions {
  /**
   * The dimension that sums to 1 (default −1, the last). PyTorch's `dim=None` picks one
   * from the input's rank with a deprecation warning; for `[N, C]` that is also the last.
   */
  dim?: number;
}

function dimOf(layer: string, options: SoftmaxOptions): number {
  const dim = options.dim ?? -1;
  if (!Number.isInteger(dim)) throw new UsageError(layer, `dim must be an integer, got ${dim}`);
  return dim;
}

/** `exp(xᵢ) / Σⱼ exp(xⱼ)` along `dim` (`nn.Softmax`). */
export class Softmax extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** The dim the softmax runs over. */
  readonly dim: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, Softmax, tensor } from "../../../mod.ts";
   * const y = new Softmax({ dim: 0 }).forward(tensor(createCpuBackend(), [0, 0, 1, 1], [2, 2]));
   * console.log(await y.toArray()); // ≈ [0.2689, 0.2689, 0.7311, 0.7311]
   * ```
   */
  constructor(options: SoftmaxOptions = {}) {
    super();
    this.dim = dimOf("Softmax", options);
  }

  /** Applies the softmax over `dim`. */
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

/** `xᵢ − log Σⱼ exp(xⱼ)` along `dim` (`nn.LogSoftmax`). */
export class LogSoftmax extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** The dim the softmax runs over. */
  readonly dim: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, LogSoftmax, tensor } from "../../../mod.ts";
   * const y = new LogSoftmax().forward(tensor(createCpuBackend(), [0, 0], [1, 2]));
   * console.log(await y.toArray()); // ≈ [-0.6931, -0.6931]
   * ```
   */
  constructor(options: SoftmaxOptions = {}) {
    super();
    this.dim = dimOf("LogSoftmax", options);
  }

  /** Applies the softmax over `dim`. */
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}
