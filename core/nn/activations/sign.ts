/**
 * `Sign`: binarisation with a straight-through gradient, as in binarized neural networks.
 *
 * @module
 */

import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { signSte } from "./functional.ts";

/**
 * `sign(x)` (−1, 0 or 1). Its true gradient is 0 almost everywhere, so backward uses the
 * straight-through estimator instead: the upstream gradient passes unchanged where
 * `|x| ≤ 1` (both ends included) and is 0 elsewhere, the gradient of `clamp(x, −1, 1)`.
 * @example
 * ```ts
 * import { createCpuBackend, Sign, tensor } from "../../../mod.ts";
 * const y = new Sign().forward(tensor(createCpuBackend(), [-0.5, 0, 2], [3]));
 * console.log(await y.toArray()); // [-1, 0, 1]
 * ```
 */
export class Sign extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** Applies the activation to `x` element-wise. */
  forward(x: Tensor): Tensor {
    return signSte(x);
  }
}
