/**
 * Activation modules. Those with a `fused` name can be folded into a preceding
 * {@link Linear} by {@link Sequential}.
 *
 * @module
 */

import type { FusedActivation } from "../backend.ts";
import { relu, sigmoid, tanh } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** An elementwise activation with no parameters. */
export abstract class Activation extends Module {
  /** The fused-linear activation equal to this module, if any. */
  abstract readonly fused: FusedActivation | null;
}

/** `max(x, 0)`. */
export class ReLU extends Activation {
  readonly fused = "relu";
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Activation {
  readonly fused = "tanh";
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Logistic sigmoid. */
export class Sigmoid extends Activation {
  readonly fused = "sigmoid";
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
