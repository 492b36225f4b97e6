/**
 * Class-index targets (f32 tensors holding integers, as in `crossEntropy`) turned into
 * masks: ignored targets removed and one-hot rows built with the `eq` op.
 *
 * @module
 */

import { add, binary, reshape, scale } from "../ops.ts";
import { type Tensor, tensor } from "../tensor.ts";
import { isEqual } from "./composite.ts";

/**
 * `target` with every entry equal to `ignoreIndex` moved to −1 when `ignoreIndex` is a
 * valid class; outside `[0, C)` it already matches no class and `target` is returned.
 */
export function withoutIgnored(target: Tensor, numClasses: number, ignoreIndex: number): Tensor {
  if (ignoreIndex < 0 || ignoreIndex >= numClasses) return target;
  return add(target, scale(isEqual(target, ignoreIndex), -(ignoreIndex + 1)));
}

/**
 * One-hot masks of class indices along a new axis 1: `target` `[N, …]` gives
 * `[N, C, …]`. Entries outside `[0, C)` (ignored targets) give all-zero columns.
 */
export function oneHot(target: Tensor, numClasses: number): Tensor {
  const [n, ...rest] = target.shape;
  const classes = Array.from({ length: numClasses }, (_, i) => i);
  const range = tensor(target.backend, classes, [1, numClasses, ...rest.map(() => 1)]);
  return binary("eq", reshape(target, [n, 1, ...rest]), range);
}
