/**
 * `sin(x)` as an activation (`torch.sin`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const sin = defineActivation({
  op: "sin",
  forward: (x) => Math.sin(x),
  grad: (x, g) => g * Math.cos(x),
  wgsl: "sin(x)",
  gradWgsl: "b * cos(a)",
  entry: { name: "sin", pytorch: "torch.sin", args: [], scalars: () => [0, 0] },
});
