/**
 * Smooth saturating activations: `LogSigmoid`, `Softsign` and `Softplus`.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { requireNonzero, requireNumber } from "../../arg_checks.ts";
import { logSigmoid, softplus, softsign } from "./functional.ts";

/**
 * `log σ(x)` (`nn.LogSigmoid`).

 * @example
 * ```ts
 * import { createCpuBackend, LogSigmoid, tensor } from "../../../mod.ts";
 * const y = new LogSigmoid().forward(tensor(createCpuBackend(), [0], [1]));
 * console.log(await y.toArray()); // ≈ [-0.6931]
 * ```
 */
export class LogSigmoid extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return logSigmoid(x);
  }
}

/**
 * `x / (1 + |x|)` (`nn.Softsign`).

 * @example
 * ```ts
 * import { createCpuBackend, Softsign, tensor } from "../../../mod.ts";
 * const y = new Softsign().forward(tensor(createCpuBackend(), [3], [1]));
 * console.log(await y.toArray()); // [0.75]
 * ```
 */
export class Softsign extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return softsign(x);
  }
}

/** Options of {@link Softplus}. */
export interface SoftplusOptions {
  /** β, nonzero (default 1). */
  beta?: number;
  /** Where `β·x` is above this, the output is `x` (default 20). */
  threshold?: number;
}

/** `log(1 + e^(β·x)) / β`, or `x` where `β·x > threshold` (`nn.Softplus`). */
export class Softplus extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** β of `log(1 + exp(β·x)) / β`. */
  readonly beta: number;
  /** Above `β·x > threshold` the output is `x`. */
  readonly threshold: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, Softplus, tensor } from "../../../mod.ts";
   * const y = new Softplus({ beta: 2 }).forward(tensor(createCpuBackend(), [0], [1]));
   * console.log(await y.toArray()); // ≈ [0.3466]
   * ```
   */
  constructor(options: SoftplusOptions = {}) {
    super();
    this.beta = options.beta ?? 1;
    this.threshold = options.threshold ?? 20;
    requireNonzero("Softplus", "beta", this.beta);
    requireNumber("Softplus", "threshold", this.threshold);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return softplus(x, this.beta, this.threshold);
  }
}
