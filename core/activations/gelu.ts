/**
 * The exact GELU, `x·Φ(x)` (`nn.GELU`; its tanh form is `gelu_tanh.ts`). The registry's `gelu` entry picks this kernel or the tanh one by its `approximate` argument.
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { normalCdf, normalPdf } from "../activation_math.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const gelu = defineActivation({
  op: "gelu",
  forward: (x) => x * normalCdf(x),
  grad: (x, g) => g * (normalCdf(x) + x * normalPdf(x)),
  wgsl: "x * normal_cdf(x)",
  gradWgsl: "b * (normal_cdf(a) + a * normal_pdf(a))",
});
