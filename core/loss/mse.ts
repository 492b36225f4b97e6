/**
 * Mean squared error (`torch.nn.MSELoss`).
 *
 * @module
 */

import { ShapeError } from "../errors.ts";
import { sub, unary } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { reduce, type Reduction } from "./reduction.ts";

/**
 * `(input − target)²` reduced by `reduction` (default mean); shapes must be equal.
 * @example
 * ```ts
 * import { createCpuBackend, mseLoss, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * console.log(await mseLoss(tensor(b, [1, 2], [2]), tensor(b, [0, 0], [2])).toArray()); // [2.5]
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(
      "mseLoss",
      `input [${input.shape}] and target [${target.shape}] must have the same shape`,
    );
  }
  return reduce(unary("square", sub(input, target)), reduction);
}
