/**
 * PyTorch's `reduction` argument, shared by every loss.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { mean, sum } from "../ops.ts";
import type { Tensor } from "../tensor.ts";

/** How per-element losses combine: `none` keeps them, `mean` averages, `sum` adds. */
export type Reduction = "none" | "mean" | "sum";

/** Applies an unweighted reduction to per-element losses. */
export function reduce(losses: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case "none":
      return losses;
    case "mean":
      return mean(losses);
    case "sum":
      return sum(losses);
    default:
      throw new UsageError("reduction", `expected none, mean or sum, got ${reduction}`);
  }
}
