/**
 * `min(max(x + 3, 0), 6)/6` (`nn.Hardsigmoid`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const hardsigmoid = defineActivation({
  op: "hardsigmoid",
  forward: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  grad: (x, g) => (x > -3 && x < 3 ? g / 6 : 0),
  wgsl: "select(clamp(x + 3.0, 0.0, 6.0) / 6.0, x, is_nan(x))",
  gradWgsl: "select(0.0, b / 6.0, a > -3.0 && a < 3.0)",
  entry: { name: "hardsigmoid", pytorch: "nn.Hardsigmoid", args: [], scalars: () => [0, 0] },
});
