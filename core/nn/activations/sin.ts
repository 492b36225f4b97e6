/**
 * `Sin`: the periodic activation of sinusoidal representation networks (SIREN).
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { sin } from "./functional.ts";

/**
 * `sin(x)`, with gradient `cos(x)`.

 * @example
 * ```ts
 * import { createCpuBackend, Sin, tensor } from "../../../mod.ts";
 * const y = new Sin().forward(tensor(createCpuBackend(), [0, Math.PI / 2], [2]));
 * console.log(await y.toArray()); // [0, 1]
 * ```
 */
export class Sin extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return sin(x);
  }
}
