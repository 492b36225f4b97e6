/**
 * `sign(x)` with the straight-through estimator as its gradient: `g` where `|x| ≤ 1`, else 0.
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const signSte = defineActivation({
  op: "sign_ste",
  forward: (x) => Math.sign(x),
  grad: (x, g) => (Math.abs(x) <= 1 ? g : 0),
  wgsl: "select(sign(x), x, is_nan(x))",
  gradWgsl: "select(0.0, b, abs(a) <= 1.0)",
  entry: {
    name: "sign",
    pytorch: "torch.sign (straight-through gradient where |x| ≤ 1)",
    args: [],
    scalars: () => [0, 0],
  },
});
