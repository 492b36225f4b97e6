/**
 * The module of any activation record (`core/activations/`): its forward kernel with the
 * scalars its catalogue arguments gave.
 *
 * @module
 */

import type { ActivationKernel } from "../../activation_kernel.ts";
import type { UnaryOpName } from "../../elementwise.ts";
import { unary } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";

/**
 * An elementwise activation layer built from its record and kernel scalars.

 * @example
 * ```ts
 * import { activationFromName, createCpuBackend, tensor } from "../../../mod.ts";
 * const act = activationFromName("hardtanh", { min_val: 0, max_val: 2 });
 * console.log(await act.forward(tensor(createCpuBackend(), [-1, 1, 3], [3])).toArray()); // [0, 1, 2]
 * ```
 */
export class ElementwiseActivation extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** An activation layer running the record's op with its scalar arguments. */
  constructor(
    readonly kernel: ActivationKernel<UnaryOpName>,
    readonly alpha = 0,
    readonly beta = 0,
  ) {
    super();
  }

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return unary(this.kernel.op, x, this.alpha, this.beta);
  }
}
