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
  // NaN and ±∞ pass through as in PyTorch (|NaN| ≤ λ is false).
  forward: (x, lambd) => (Math.abs(x) <= lambd ? 0 : x - Math.sign(x) * lambd),
  // PyTorch's slope is 0 on [−λ, λ], both ends included.
  grad: (x, g, lambd) => (Math.abs(x) <= lambd ? 0 : g),
  wgsl: "select(x - sign(x) * alpha, 0.0, abs(x) <= alpha && !is_nan(x))",
  gradWgsl: "select(b, 0.0, abs(a) <= alpha && !is_nan(a))",
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
