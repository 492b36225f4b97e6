/**
 * `x` where `x > 0`, else `alpha·(eˣ − 1)` (`nn.ELU`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { requireFinite } from "../arg_checks.ts";
import { catalogArg, numberArg } from "../catalog.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const elu = defineActivation({
  op: "elu",
  forward: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  grad: (x, g, alpha) => (x > 0 ? g : g * alpha * Math.exp(x)),
  wgsl: "select(alpha * expm1_f32(x), x, x > 0.0)",
  gradWgsl: "select(b * alpha * exp(a), b, a > 0.0)",
  entry: {
    name: "elu",
    pytorch: "nn.ELU",
    args: [catalogArg("alpha", 1, "scale of the negative branch α·(eˣ − 1)")],
    scalars: (a) => {
      requireFinite("ELU", "alpha", numberArg(a, "alpha"));
      return [numberArg(a, "alpha"), 0];
    },
  },
});
