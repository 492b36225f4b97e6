/**
 * `x` where `x > 0`, else `alpha·(e^(x/alpha) − 1)` (`nn.CELU`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { requireNonzero } from "../arg_checks.ts";
import { catalogArg, numberArg } from "../catalog.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const celu = defineActivation({
  op: "celu",
  forward: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x / alpha)),
  grad: (x, g, alpha) => (x > 0 ? g : g * Math.exp(x / alpha)),
  wgsl: "select(alpha * expm1_f32(x / alpha), x, x > 0.0)",
  gradWgsl: "select(b * exp(a / alpha), b, a > 0.0)",
  entry: {
    name: "celu",
    pytorch: "nn.CELU",
    args: [catalogArg("alpha", 1, "α of the negative branch α·(e^(x/α) − 1), nonzero")],
    scalars: (a) => {
      requireNonzero("CELU", "alpha", numberArg(a, "alpha"));
      return [numberArg(a, "alpha"), 0];
    },
  },
});
