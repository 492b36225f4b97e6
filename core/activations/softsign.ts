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
  grad: (x, g) => g / ((1 + Math.abs(x)) * (1 + Math.abs(x))),
  wgsl: "x / (1.0 + abs(x))",
  gradWgsl: "b / ((1.0 + abs(a)) * (1.0 + abs(a)))",
  entry: { name: "softsign", pytorch: "nn.Softsign", args: [], scalars: () => [0, 0] },
});
