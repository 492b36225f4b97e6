/**
 * Exponential linear units: `ELU`, `SELU` (self-normalising) and `CELU`.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { requireFinite, requireNonzero } from "../../arg_checks.ts";
import { celu, elu, selu } from "./functional.ts";

/** Options of {@link ELU} and {@link CELU}. */
export interface AlphaOptions {
  /** Scale of the negative branch (default 1). */
  alpha?: number;
}

/** `x` where `x > 0`, else `alpha·(eˣ − 1)` (`nn.ELU`). */
export class ELU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** α of the formula. */
  readonly alpha: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, ELU, tensor } from "../../../mod.ts";
   * const y = new ELU({ alpha: 2 }).forward(tensor(createCpuBackend(), [-1, 1], [2]));
   * console.log(await y.toArray()); // ≈ [-1.2642, 1]
   * ```
   */
  constructor(options: AlphaOptions = {}) {
    super();
    this.alpha = options.alpha ?? 1;
    requireFinite("ELU", "alpha", this.alpha);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
}

/**
 * `λ·x` where `x > 0`, else `λ·α·(eˣ − 1)`, α ≈ 1.6733, λ ≈ 1.0507 (`nn.SELU`).

 * @example
 * ```ts
 * import { createCpuBackend, SELU, tensor } from "../../../mod.ts";
 * const y = new SELU().forward(tensor(createCpuBackend(), [-1, 1], [2]));
 * console.log(await y.toArray()); // ≈ [-1.1113, 1.0507]
 * ```
 */
export class SELU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return selu(x);
  }
}

/** `x` where `x > 0`, else `alpha·(e^(x/alpha) − 1)` (`nn.CELU`); `alpha` must be nonzero. */
export class CELU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** α of the formula. */
  readonly alpha: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { CELU, createCpuBackend, tensor } from "../../../mod.ts";
   * const y = new CELU({ alpha: 2 }).forward(tensor(createCpuBackend(), [-1, 1], [2]));
   * console.log(await y.toArray()); // ≈ [-0.7869, 1]
   * ```
   */
  constructor(options: AlphaOptions = {}) {
    super();
    this.alpha = options.alpha ?? 1;
    requireNonzero("CELU", "alpha", this.alpha);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return celu(x, this.alpha);
  }
}
