/**
 * `Flatten`: merges a range of dimensions into one, as between a convolutional trunk and
 * a linear head.
 *
 * @module
 */

import { flatten } from "../ops_conv.ts";
import type { Tensor } from "../tensor.ts";
import { Module } from "./module.ts";

/**
 * `nn.Flatten`: dimensions `startDim` to `endDim` (inclusive, negative from the end) of
 * the input become one; the default keeps the batch dimension.
 * @example
 * ```ts
 * import { createCpuBackend, Flatten, zeros } from "../../mod.ts";
 * console.log(new Flatten().forward(zeros(createCpuBackend(), [8, 16, 4, 4])).shape); // [8, 256]
 * ```
 */
export class Flatten extends Module {
  /** Flattens dims `startDim` through `endDim` (negative counts from the end). */
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
