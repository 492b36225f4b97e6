/**
 * `x / (1 + |x|)` (`nn.Softsign`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const softsign = defineActivation({
  op: "softsign",
  forward: (x) => x / (1 + Math.abs(x)),
  /** Torch's autograd of x / (1 + |x|): NaN at ±∞ (∞/∞), not 0. */
  grad: (x, g) => {
    const d = 1 + Math.abs(x);
    return g * (1 / d - Math.abs(x) / (d * d));
  },
  wgsl: "x / (1.0 + abs(x))",
  gradWgsl: "b * (1.0 / (1.0 + abs(a)) - abs(a) / ((1.0 + abs(a)) * (1.0 + abs(a))))",
  entry: { name: "softsign", pytorch: "nn.Softsign", args: [], scalars: () => [0, 0] },
});
