/**
 * `min(max(x, min_val), max_val)` (`nn.Hardtanh`; `alpha` and `beta` are `min_val` and `max_val`). ReLU6 is this kernel on `[0, 6]`.
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { requireRange } from "../arg_checks.ts";
import { catalogArg, numberArg } from "../catalog.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const hardtanh = defineActivation({
  op: "hardtanh",
  forward: (x, min, max) => Math.min(Math.max(x, min), max),
  grad: (x, g, min, max) => (x > min && x < max ? g : 0),
  wgsl: "select(clamp(x, alpha, beta), x, is_nan(x))",
  gradWgsl: "select(0.0, b, a > alpha && a < beta)",
  entry: {
    name: "hardtanh",
    pytorch: "nn.Hardtanh",
    args: [
      catalogArg("min_val", -1, "lower end of the linear range"),
      catalogArg("max_val", 1, "upper end of the linear range (above min_val)"),
    ],
    scalars: (a) => {
      requireRange("Hardtanh", numberArg(a, "min_val"), numberArg(a, "max_val"));
      return [numberArg(a, "min_val"), numberArg(a, "max_val")];
    },
  },
});
