/**
 * `x` where `x > 0`, else `negative_slope·x` (`nn.LeakyReLU`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { requireFinite } from "../arg_checks.ts";
import { catalogArg, numberArg } from "../catalog.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const leakyRelu = defineActivation({
  op: "leaky_relu",
  forward: (x, slope) => (x > 0 ? x : x * slope),
  grad: (x, g, slope) => (x > 0 ? g : g * slope),
  wgsl: "select(x * alpha, x, x > 0.0)",
  gradWgsl: "select(b * alpha, b, a > 0.0)",
  entry: {
    name: "leaky-relu",
    pytorch: "nn.LeakyReLU",
    args: [catalogArg("negative_slope", 0.01, "slope for x ≤ 0")],
    scalars: (a) => {
      requireFinite("LeakyReLU", "negative_slope", numberArg(a, "negative_slope"));
      return [numberArg(a, "negative_slope"), 0];
    },
  },
});
