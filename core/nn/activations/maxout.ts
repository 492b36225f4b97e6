/**
 * The maxout nonlinearity (Goodfellow et al., 2013): the maximum over consecutive groups of
 * `pieces` channels. After a linear layer to `units·pieces` outputs it makes maxout units;
 * after a convolution it takes the maximum across groups of feature maps at each pixel.
 *
 * @module
 */

import { ShapeError, UsageError } from "../../errors.ts";
import { max, reshape } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";

/**
 * The maximum over each group of `pieces` consecutive channels of dim 1: `[N, C, …]`
 * becomes `[N, C/pieces, …]`, as `x.unflatten(1, (C // pieces, pieces)).amax(2)` in torch.
 * Tied maxima share the gradient equally (like `amax`).
 * @example
 * ```ts
 * import { createCpuBackend, maxout, tensor } from "../../../mod.ts";
 * const y = maxout(tensor(createCpuBackend(), [1, 3, -2, -5], [1, 4]), 2);
 * console.log(y.shape, await y.toArray()); // [1, 2] [3, -2]
 * ```
 */
export function maxout(x: Tensor, pieces: number): Tensor {
  const channels = x.shape[1];
  if (x.shape.length < 2 || channels % pieces !== 0) {
    throw new ShapeError(
      "maxout",
      `expected [N, C, …] with C a multiple of pieces (${pieces}), got [${x.shape}]`,
    );
  }
  const [n, , ...rest] = x.shape;
  return max(reshape(x, [n, channels / pieces, pieces, ...rest]), 2);
}

/** Options of {@link Maxout}. */
export interface MaxoutOptions {
  /** Channels per group, k (default 2). */
  pieces?: number;
}

/** {@link maxout} as a layer: dim 1 shrinks by the factor `pieces`. */
export class Maxout extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** Channels per group, k: dim 1 of the output is dim 1 of the input divided by it. */
  readonly pieces: number;

  /**
   * A layer over groups of `options.pieces` channels (default 2); a UsageError when `pieces`
   * is not a positive integer.
   */
  constructor(options: MaxoutOptions = {}) {
    super();
    this.pieces = options.pieces ?? 2;
    if (!Number.isInteger(this.pieces) || this.pieces < 1) {
      throw new UsageError("Maxout", `pieces must be a positive integer, got ${this.pieces}`);
    }
  }

  /** {@link maxout} of `x`: `[N, C, …]` becomes `[N, C/pieces, …]`. */
  forward(x: Tensor): Tensor {
    return maxout(x, this.pieces);
  }
}
