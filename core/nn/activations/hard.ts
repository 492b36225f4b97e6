/**
 * Piecewise-linear approximations of smooth activations: `Hardswish`, `Hardsigmoid` and
 * `Hardtanh`.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { requireRange } from "../../arg_checks.ts";
import { hardsigmoid, hardswish, hardtanh } from "./functional.ts";

/**
 * `x·min(max(x + 3, 0), 6)/6` (`nn.Hardswish`).

 * @example
 * ```ts
 * import { createCpuBackend, Hardswish, tensor } from "../../../mod.ts";
 * const y = new Hardswish().forward(tensor(createCpuBackend(), [-4, 1, 4], [3]));
 * console.log(await y.toArray()); // ≈ [-0, 0.6667, 4]
 * ```
 */
export class Hardswish extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return hardswish(x);
  }
}

/**
 * `min(max(x + 3, 0), 6)/6` (`nn.Hardsigmoid`).

 * @example
 * ```ts
 * import { createCpuBackend, Hardsigmoid, tensor } from "../../../mod.ts";
 * const y = new Hardsigmoid().forward(tensor(createCpuBackend(), [-4, 0, 4], [3]));
 * console.log(await y.toArray()); // [0, 0.5, 1]
 * ```
 */
export class Hardsigmoid extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return hardsigmoid(x);
  }
}

/** Options of {@link Hardtanh}. */
export interface HardtanhOptions {
  /** Lower end of the linear range (default −1). */
  minVal?: number;
  /** Upper end of the linear range (default 1); must exceed `minVal`. */
  maxVal?: number;
}

/** `min(max(x, minVal), maxVal)` (`nn.Hardtanh`). */
export class Hardtanh extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** Lower clamp. */
  readonly minVal: number;
  /** Upper clamp. */
  readonly maxVal: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, Hardtanh, tensor } from "../../../mod.ts";
   * const act = new Hardtanh({ minVal: 0, maxVal: 2 });
   * const x = tensor(createCpuBackend(), [-1, 1, 3], [3]);
   * console.log(await act.forward(x).toArray()); // [0, 1, 2]
   * ```
   */
  constructor(options: HardtanhOptions = {}) {
    super();
    this.minVal = options.minVal ?? -1;
    this.maxVal = options.maxVal ?? 1;
    requireRange("Hardtanh", this.minVal, this.maxVal);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
}
