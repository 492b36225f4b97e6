/**
 * `Sequential`: layers applied in order, named "0", "1", … like PyTorch's.
 *
 * @module
 */

import type { Tensor } from "../tensor.ts";
import { Activation } from "./activation.ts";
import { Linear } from "./linear.ts";
import { Module } from "./module.ts";

/** A chain of modules. A `Linear` followed by a fusable activation runs as one fused op. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  /**
   * @example
   * ```ts
   * import { Linear, ReLU, Rng, Sequential } from "../../mod.ts";
   * const rng = new Rng(0);
   * const mlp = new Sequential(new Linear(784, 128, rng), new ReLU(), new Linear(128, 10, rng));
   * console.log(mlp.namedParameters().map(([n]) => n)); // ["0.weight", "0.bias", "2.weight", "2.bias"]
   * ```
   */
  constructor(...layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.registerModule(String(i), m));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      const next = this.layers[i + 1];
      if (layer instanceof Linear && next instanceof Activation && next.fused) {
        y = layer.forwardWith(y, next.fused);
        i++;
      } else {
        y = layer.forward(y);
      }
    }
    return y;
  }
}
