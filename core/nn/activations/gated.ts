/**
 * Activations that scale `x` by a smooth gate of itself: `GELU`, `SiLU` and `Mish`.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { requireApproximate } from "../../arg_checks.ts";
import { gelu, type GeluApproximate, mish, silu } from "./functional.ts";

/** Options of {@link GELU}. */
export interface GELUOptions {
  /** "none" (default): exact, `x·Φ(x)`; "tanh": the tanh approximation. */
  approximate?: GeluApproximate;
}

/** `x·Φ(x)`, Φ the standard normal distribution function, or its tanh form (`nn.GELU`). */
export class GELU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** `none` (exact, with erf) or `tanh` (the approximation). */
  readonly approximate: GeluApproximate;

  /**
   * A layer with PyTorch's arguments in `options` (PyTorch's defaults where left out).

   * @example
   * ```ts
   * import { createCpuBackend, GELU, tensor } from "../../../mod.ts";
   * const x = tensor(createCpuBackend(), [1], [1]);
   * console.log(await new GELU().forward(x).toArray()); // ≈ [0.8413]
   * console.log(await new GELU({ approximate: "tanh" }).forward(x).toArray()); // ≈ [0.8412]
   * ```
   */
  constructor(options: GELUOptions = {}) {
    super();
    this.approximate = options.approximate ?? "none";
    requireApproximate("GELU", this.approximate);
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return gelu(x, this.approximate);
  }
}

/**
 * `x·σ(x)`, also called swish (`nn.SiLU`).

 * @example
 * ```ts
 * import { createCpuBackend, SiLU, tensor } from "../../../mod.ts";
 * const y = new SiLU().forward(tensor(createCpuBackend(), [1], [1]));
 * console.log(await y.toArray()); // ≈ [0.7311]
 * ```
 */
export class SiLU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return silu(x);
  }
}

/**
 * `x·tanh(softplus(x))` (`nn.Mish`).

 * @example
 * ```ts
 * import { createCpuBackend, Mish, tensor } from "../../../mod.ts";
 * const y = new Mish().forward(tensor(createCpuBackend(), [1], [1]));
 * console.log(await y.toArray()); // ≈ [0.8651]
 * ```
 */
export class Mish extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return mish(x);
  }
}
