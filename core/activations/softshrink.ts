/**
 * `x − λ` where `x > λ`, `x + λ` where `x < −λ`, else 0 (`nn.Softshrink`; `alpha` is λ).
 *
 * @module
 */

import { requireFinite } from "../arg_checks.ts";
import { defineActivation } from "../activation_kernel.ts";
import { catalogArg, numberArg } from "../catalog.ts";
import { UsageError } from "../errors.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const softshrink = defineActivation({
  op: "softshrink",
  forward: (x, lambd) => (x > lambd ? x - lambd : x < -lambd ? x + lambd : 0),
  // PyTorch's slope is 0 on [−λ, λ], both ends included; NaN maps to 0 both ways, as in torch.
  grad: (x, g, lambd) => (Math.abs(x) > lambd ? g : 0),
  wgsl: "select(select(0.0, x + alpha, x < -alpha), x - alpha, x > alpha)",
  gradWgsl: "select(0.0, b, abs(a) > alpha)",
  entry: {
    name: "softshrink",
    pytorch: "nn.Softshrink",
    args: [catalogArg("lambd", 0.5, "λ, the half-width of the band sent to 0 (≥ 0)")],
    scalars: (a) => {
      const lambd = numberArg(a, "lambd");
      requireFinite("Softshrink", "lambd", lambd);
      if (lambd < 0) throw new UsageError("Softshrink", `lambd must be ≥ 0, got ${lambd}`);
      return [lambd, 0];
    },
  },
});
