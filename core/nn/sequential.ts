/**
 * `Sequential`: layers applied in order, named "0", "1", … like PyTorch's.
 *
 * @module
 */

import type { FusedActivation } from "../backend.ts";
import type { Tensor } from "../tensor.ts";
import { Activation } from "./activation.ts";
import { Linear } from "./linear.ts";
import { type ForwardPass, Module, runForward } from "./module.ts";

/** A chain of modules. A `Linear` followed by a fusable activation runs as one fused op. */
export class Sequential extends Module {
  /** The layers, in order. */
  readonly layers: readonly Module[];
  private readonly stages: readonly Stage[];

  /**
   * A model of `layers` run in order, registered as children `0`, `1`, ….

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
    this.stages = stagesOf(this.layers);
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return runForward(this, x);
  }

  /** Each layer's pass in turn, a Linear with the activation after it fused. */
  override *forwardPass(x: Tensor): ForwardPass {
    let y = x;
    for (const stage of this.stages) {
      y = stage instanceof Module
        ? yield* stage.forwardPass(y)
        : stage.linear.forwardWith(y, stage.fused);
    }
    return y;
  }
}

/** One step of a {@link Sequential}: a layer, or a linear layer with its activation fused in. */
type Stage = Module | { readonly linear: Linear; readonly fused: FusedActivation };

function stagesOf(layers: readonly Module[]): Stage[] {
  const stages: Stage[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const next = layers[i + 1];
    if (layer instanceof Linear && next instanceof Activation && next.fused) {
      stages.push({ linear: layer, fused: next.fused });
      i++;
    } else {
      stages.push(layer);
    }
  }
  return stages;
}
