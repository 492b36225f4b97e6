/**
 * `x·tanh(softplus(x))` (`nn.Mish`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { sigmoid, softplus } from "../activation_math.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const mish = defineActivation({
  op: "mish",
  forward: (x) => x * Math.tanh(softplus(x)),
  grad: (x, g) => {
    const t = Math.tanh(softplus(x));
    return g * (t + x * sigmoid(x) * (1 - t * t));
  },
  wgsl: "x * tanh_softplus(x)",
  gradWgsl: "b * (tanh_softplus(a) + a * sigmoid_f32(a) * tanh_softplus_complement(a))",
  entry: { name: "mish", pytorch: "nn.Mish", args: [], scalars: () => [0, 0] },
});
