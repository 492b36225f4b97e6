/**
 * `Conv2d`: 2-D convolution over `[N, C, H, W]` inputs, with PyTorch's arguments and
 * default initialisation.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { conv2d, type Size2d } from "../ops_conv.ts";
import type { Rng } from "../rng.ts";
import type { Tensor } from "../tensor.ts";
import { kaimingUniform, uniformInit } from "./init.ts";
import { Module } from "./module.ts";
import { Parameter } from "./parameter.ts";

/** Options of {@link Conv2d}: PyTorch's arguments after `kernel_size` (zero padding only). */
export interface Conv2dLayerOptions {
  /** Step of the window (default 1). */
  stride?: Size2d;
  /** Zeros added on each side (default 0). */
  padding?: Size2d;
  /** Spacing between window taps (default 1). */
  dilation?: Size2d;
  /** Channel groups; must divide both channel counts (default 1). */
  groups?: number;
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/** 2-D convolution layer (`nn.Conv2d`). */
export class Conv2d extends Module {
  /** `[outChannels, inChannels / groups, kh, kw]`. */
  readonly weight: Parameter;
  /** `[outChannels]`, or null without bias. */
  readonly bias: Parameter | null;
  /** `[kh, kw]`. */
  readonly kernelSize: readonly [number, number];
  /** The options' values, defaults filled in. */
  readonly stride: Size2d;
  /** Zero padding per side. */
  readonly padding: Size2d;
  /** Spacing of kernel taps. */
  readonly dilation: Size2d;
  /** Channel groups. */
  readonly groups: number;

  /**
   * Weight from kaiming-uniform with a = √5 (U(±1/√fan_in), fan_in = in/groups·kh·kw), then
   * bias from U(±1/√fan_in), drawn in that order from `rng`, as PyTorch initialises them.
   * @example
   * ```ts
   * import { Conv2d, Rng } from "../../mod.ts";
   * const conv = new Conv2d(3, 16, 3, new Rng(0), { padding: 1 });
   * console.log(conv.weight.shape); // [16, 3, 3, 3]
   * ```
   */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2d,
    rng: Rng,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const kernel = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const groups = options.groups ?? 1;
    const positive = (v: number) => Number.isInteger(v) && v >= 1;
    if (kernel.length !== 2 || !kernel.every(positive)) {
      throw new UsageError(
        "Conv2d",
        `kernel_size must be a positive integer or a pair of them, got ${
          JSON.stringify(kernelSize)
        }`,
      );
    }
    if (!positive(groups)) {
      throw new UsageError("Conv2d", `groups must be a positive integer, got ${groups}`);
    }
    for (
      const [name, count] of [["in_channels", inChannels], ["out_channels", outChannels]] as const
    ) {
      if (!positive(count) || count % groups !== 0) {
        throw new UsageError(
          "Conv2d",
          `${name} must be a positive multiple of groups (${groups}), got ${count}`,
        );
      }
    }
    this.kernelSize = [kernel[0], kernel[1]];
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = groups;
    const fanIn = (inChannels / groups) * kernel[0] * kernel[1];
    const shape = [outChannels, inChannels / groups, kernel[0], kernel[1]];
    this.weight = this.registerParameter(
      "weight",
      new Parameter(shape, kaimingUniform(rng, outChannels * fanIn, fanIn, Math.sqrt(5))),
    );
    this.bias = options.bias === false ? null : this.registerParameter(
      "bias",
      new Parameter([outChannels], uniformInit(rng, outChannels, 1 / Math.sqrt(fanIn))),
    );
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight.value, this.bias?.value ?? null, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
