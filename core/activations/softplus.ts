/**
 * `log(1 + e^(β·x))/β`, and `x` where `β·x > threshold` (`nn.Softplus`; `alpha` is β, `beta` the threshold).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { sigmoid, softplus as softplusOne } from "../activation_math.ts";
import { requireNonzero, requireNumber } from "../arg_checks.ts";
import { catalogArg, numberArg } from "../catalog.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const softplus = defineActivation({
  op: "softplus",
  forward: (x, beta, threshold) => (x * beta > threshold ? x : softplusOne(x * beta) / beta),
  grad: (x, g, beta, threshold) => (x * beta > threshold ? g : g * sigmoid(x * beta)),
  wgsl: "select(softplus_f32(x * alpha) / alpha, x, x * alpha > beta)",
  gradWgsl: "select(b * sigmoid_f32(a * alpha), b, a * alpha > beta)",
  entry: {
    name: "softplus",
    pytorch: "nn.Softplus",
    args: [
      catalogArg("beta", 1, "β of log(1 + e^(β·x))/β, nonzero"),
      catalogArg("threshold", 20, "above β·x = threshold the output is x"),
    ],
    scalars: (a) => {
      requireNonzero("Softplus", "beta", numberArg(a, "beta"));
      requireNumber("Softplus", "threshold", numberArg(a, "threshold"));
      return [numberArg(a, "beta"), numberArg(a, "threshold")];
    },
  },
});
