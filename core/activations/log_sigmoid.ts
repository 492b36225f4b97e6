/**
 * `log σ(x) = −softplus(−x)` (`nn.LogSigmoid`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { sigmoid, softplus } from "../activation_math.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const logSigmoid = defineActivation({
  op: "log_sigmoid",
  forward: (x) => -softplus(-x),
  grad: (x, g) => g * sigmoid(-x),
  wgsl: "-softplus_f32(-x)",
  gradWgsl: "b * sigmoid_f32(-a)",
  entry: { name: "log-sigmoid", pytorch: "nn.LogSigmoid", args: [], scalars: () => [0, 0] },
});
