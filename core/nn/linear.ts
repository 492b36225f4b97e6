/**
 * `Linear`: `y = x·Wᵀ + b`, with PyTorch's default initialisation.
 *
 * @module
 */

import type { FusedActivation } from "../backend.ts";
import { linear } from "../ops.ts";
import type { Rng } from "../rng.ts";
import type { Tensor } from "../tensor.ts";
import { kaimingUniform, uniformInit } from "./init.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** Fully connected layer over `[N, inFeatures]` inputs. */
export class Linear extends Module {
  /** Weight `[out, in]`. */
  readonly weight: Parameter;
  /** Bias `[out]`, or null without one. */
  readonly bias: Parameter | null;

  /**
   * Weight `[out, in]` from kaiming-uniform with a = √5 (i.e. U(±1/√in)), bias U(±1/√in),
   * drawn in that order from `rng`.
   * @example
   * ```ts
   * import { Linear, Rng } from "../../mod.ts";
   * const layer = new Linear(784, 128, new Rng(0));
   * console.log(layer.weight.shape); // [128, 784]
   * ```
   */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    options: LinearOptions = {},
  ) {
    super();
    const n = inFeatures * outFeatures;
    this.weight = this.registerParameter(
      "weight",
      new Parameter([outFeatures, inFeatures], kaimingUniform(rng, n, inFeatures, Math.sqrt(5))),
    );
    this.bias = options.bias === false ? null : this.registerParameter(
      "bias",
      new Parameter([outFeatures], uniformInit(rng, outFeatures, 1 / Math.sqrt(inFeatures))),
    );
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return this.forwardWith(x, "none");
  }

  /** Forward with an activation fused into the same kernel. */
  forwardWith(x: Tensor, act: FusedActivation): Tensor {
    return linear(x, this.weight.value, this.bias?.value ?? null, act);
  }
}
