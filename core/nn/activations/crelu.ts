/**
 * CReLU, the concatenated ReLU (Shang et al., 2016): `concat(relu(x), relu(−x))` along the
 * channel axis, so it doubles the width. It is composed from ops every backend runs (a
 * broadcast product with `[1, −1]`, ReLU, reshapes), so its gradient needs no kernel.
 *
 * @module
 */

import { ShapeError } from "../../errors.ts";
import { mul, relu, reshape } from "../../ops.ts";
import { type Tensor, tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";

/**
 * `concat(relu(x), relu(−x))` along dim 1 (dim 0 of a 1-D `x`): `[N, C, …]` becomes
 * `[N, 2C, …]`, the first C channels `relu(x)`, the next C `relu(−x)`, as
 * `torch.cat((F.relu(x), F.relu(-x)), 1)`.
 * @example
 * ```ts
 * import { createCpuBackend, crelu, tensor } from "../../../mod.ts";
 * const y = crelu(tensor(createCpuBackend(), [-1, 2], [1, 2]));
 * console.log(y.shape, await y.toArray()); // [1, 4] [0, 2, 1, 0]
 * ```
 */
export function crelu(x: Tensor): Tensor {
  if (x.shape.length === 0) {
    throw new ShapeError("crelu", "expected a tensor of rank ≥ 1, got a scalar");
  }
  const axis = x.shape.length >= 2 ? 1 : 0;
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const signs = tensor(x.backend, [1, -1], [1, 2, 1]);
  const both = relu(mul(reshape(x, [outer, 1, x.size / outer]), signs));
  return reshape(both, x.shape.map((d, i) => (i === axis ? 2 * d : d)));
}

/** {@link crelu} as a layer: doubles dim 1 (`[N, C]` to `[N, 2C]`, `[N, C, H, W]` to `[N, 2C, H, W]`). */
export class CReLU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;

  /** {@link crelu} of `x`: dim 1 (dim 0 of a 1-D `x`) doubles. */
  forward(x: Tensor): Tensor {
    return crelu(x);
  }
}
