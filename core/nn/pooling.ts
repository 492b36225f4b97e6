/**
 * Pooling layers over `[N, C, H, W]` (or `[C, H, W]`) inputs: `MaxPool2d`, `AvgPool2d`
 * and `AdaptiveAvgPool2d`, with PyTorch's arguments (`ceil_mode=False` only). They have
 * no parameters; see `core/ops_conv.ts` for the window rules.
 *
 * @module
 */

import {
  adaptiveAvgPool2d,
  avgPool2d,
  type AvgPool2dOptions,
  maxPool2d,
  type MaxPool2dOptions,
  type Size2d,
} from "../ops_conv.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/**
 * Max over each window (`nn.MaxPool2d`); stride defaults to the kernel size.

 * @example
 * ```ts
 * import { createCpuBackend, MaxPool2d, tensor } from "../../mod.ts";
 * const x = tensor(createCpuBackend(), [1, 5, 3, 2], [1, 1, 2, 2]);
 * console.log(await new MaxPool2d(2).forward(x).toArray()); // Float32Array [5]
 * ```
 */
export class MaxPool2d extends Module {
  /** `kernelSize`: the window; `options`: stride, padding, dilation, ceil mode. */
  constructor(readonly kernelSize: Size2d, readonly options: MaxPool2dOptions = {}) {
    super();
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Mean over each window (`nn.AvgPool2d`); stride defaults to the kernel size.

 * @example
 * ```ts
 * import { AvgPool2d, createCpuBackend, tensor } from "../../mod.ts";
 * const x = tensor(createCpuBackend(), [1, 5, 3, 3], [1, 1, 2, 2]);
 * console.log(await new AvgPool2d(2).forward(x).toArray()); // Float32Array [3]
 * ```
 */
export class AvgPool2d extends Module {
  /** `kernelSize`: the window; `options`: stride, padding, divisor. */
  constructor(readonly kernelSize: Size2d, readonly options: AvgPool2dOptions = {}) {
    super();
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }
}

/**
 * Averages down to a fixed output size whatever the input size (`nn.AdaptiveAvgPool2d`);
 * `[1, 1]` is global average pooling. A null size keeps that input dimension.
 * @example
 * ```ts
 * import { AdaptiveAvgPool2d, createCpuBackend, tensor } from "../../mod.ts";
 * const x = tensor(createCpuBackend(), [1, 2, 3, 4, 5, 6], [1, 1, 2, 3]);
 * console.log(await new AdaptiveAvgPool2d(1).forward(x).toArray()); // Float32Array [3.5]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** `outputSize`: the output plane (one number for a square; null keeps that side). */
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
