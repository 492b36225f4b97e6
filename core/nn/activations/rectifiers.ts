/**
 * Piecewise-linear relatives of ReLU: `LeakyReLU`, `PReLU` (learned slopes) and `ReLU6`.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { UsageError } from "../../errors.ts";
import { Activation } from "../activation.ts";
import { Parameter } from "../parameter.ts";
import { requireFinite } from "../../arg_checks.ts";
import { leakyRelu, prelu, relu6 } from "./functional.ts";

/** Options of {@link LeakyReLU}. */
export interface LeakyReLUOptions {
  /** Slope for `x ≤ 0` (default 0.01). */
  negativeSlope?: number;
}

/** `x` where `x > 0`, else `negativeSlope·x` (`nn.LeakyReLU`). */
export class LeakyReLU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** Slope for negative inputs. */
  readonly negativeSlope: number;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, LeakyReLU, tensor } from "../../../mod.ts";
   * const x = tensor(createCpuBackend(), [-1, 2], [2]);
   * console.log(await new LeakyReLU({ negativeSlope: 0.2 }).forward(x).toArray()); // ≈ [-0.2, 2]
   * ```
   */
  constructor(options: LeakyReLUOptions = {}) {
    super();
    this.negativeSlope = options.negativeSlope ?? 0.01;
    requireFinite("LeakyReLU", "negative_slope", this.negativeSlope);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
}

/** Options of {@link PReLU}. */
export interface PReLUOptions {
  /** 1 (one slope shared by all) or the number of channels, dim 1 of the input (default 1). */
  numParameters?: number;
  /** Initial slope (default 0.25). */
  init?: number;
}

/**
 * `x` where `x > 0`, else `a·x` with learned slopes `a` (`nn.PReLU`): its parameter
 * `weight` is `[numParameters]`, filled with `init`.
 */
export class PReLU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** The learnable negative slopes, one or one per channel. */
  readonly weight: Parameter;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { bindParameters, createCpuBackend, PReLU, tensor } from "../../../mod.ts";
   * const b = createCpuBackend();
   * const act = new PReLU({ numParameters: 3 });
   * bindParameters(b, act.namedParameters());
   * const y = act.forward(tensor(b, [-4, 0, 4], [1, 3]));
   * console.log(await y.toArray()); // [-1, 0, 4]
   * ```
   */
  constructor(options: PReLUOptions = {}) {
    super();
    const n = options.numParameters ?? 1;
    const init = options.init ?? 0.25;
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError("PReLU", `num_parameters must be a positive integer, got ${n}`);
    }
    requireFinite("PReLU", "init", init);
    this.weight = this.registerParameter(
      "weight",
      new Parameter([n], new Float32Array(n).fill(init)),
    );
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return prelu(x, this.weight.value);
  }
}

/**
 * `min(max(x, 0), 6)` (`nn.ReLU6`).

 * @example
 * ```ts
 * import { createCpuBackend, ReLU6, tensor } from "../../../mod.ts";
 * const y = new ReLU6().forward(tensor(createCpuBackend(), [-1, 3, 9], [3]));
 * console.log(await y.toArray()); // [0, 3, 6]
 * ```
 */
export class ReLU6 extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return relu6(x);
  }
}
