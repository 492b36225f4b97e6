/**
 * The activation module base, and the three activations that a preceding {@link Linear}
 * can fuse into its kernel (see {@link Sequential}). The other activations are in
 * `core/nn/activations/`; `activationFromName` there builds any of them by name.
 *
 * @module
 */

import type { FusedActivation } from "../backend.ts";
import { relu, sigmoid, tanh } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/** An activation function as a layer; elementwise except the softmaxes, PReLU has parameters. */
export abstract class Activation extends Module {
  /** The fused-linear activation equal to this module, if any. */
  abstract readonly fused: FusedActivation | null;
}

/** `max(x, 0)`. */
export class ReLU extends Activation {
  /** Fuses into a preceding Linear as its `relu` activation. */
  readonly fused = "relu";
  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Activation {
  /** Fuses into a preceding Linear as its `tanh` activation. */
  readonly fused = "tanh";
  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** Logistic sigmoid. */
export class Sigmoid extends Activation {
  /** Fuses into a preceding Linear as its `sigmoid` activation. */
  readonly fused = "sigmoid";
  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
