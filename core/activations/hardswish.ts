/**
 * `x·min(max(x + 3, 0), 6)/6` (`nn.Hardswish`); its slope is `x/3 + 1/2` on `[-3, 3]`, both ends included (PyTorch's scalar kernel).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const hardswish = defineActivation({
  op: "hardswish",
  forward: (x) => x * Math.min(Math.max(x + 3, 0), 6) / 6,
  grad: (x, g) => (x < -3 ? 0 : x <= 3 ? g * (x / 3 + 0.5) : g),
  wgsl: "x * clamp(x + 3.0, 0.0, 6.0) / 6.0",
  gradWgsl: "select(select(b, b * (a / 3.0 + 0.5), a <= 3.0), 0.0, a < -3.0)",
  entry: { name: "hardswish", pytorch: "nn.Hardswish", args: [], scalars: () => [0, 0] },
});
