/**
 * The host-side halves of a fused linear layer on the fast CPU backend: the bias and
 * activation applied to the product in place, and the bias gradient. The reference
 * (`core/cpu/backend.ts`) calls the activation through a per-element indirect call and makes
 * the activation's gradient with `Float32Array.map`; these are plain loops with the same
 * arithmetic (the sum in double, rounded to f32 on store; the bias gradient summed in f32,
 * rows in order), so results are bitwise the reference's.
 *
 * @module
 */

import type { FusedActivation } from "../core/backend.ts";
import { activationOf } from "../core/cpu/backend.ts";
import { unaryOps } from "../core/elementwise.ts";

/** `y[r, c] = act(y[r, c] + bias[c])` over `[m, n]` `y`, in place; no bias adds 0. */
export function biasActivation(
  y: Float32Array,
  bias: Float32Array | null,
  m: number,
  n: number,
  act: FusedActivation,
): void {
  if (act === "relu") {
    for (let r = 0, o = 0; r < m; r++, o += n) {
      for (let c = 0; c < n; c++) {
        // core/elementwise.ts's relu: NaN passes through, as in torch.
        const v = y[o + c] + (bias ? bias[c] : 0);
        y[o + c] = v <= 0 ? 0 : v;
      }
    }
    return;
  }
  const f = act === "none" ? null : unaryOps[activationOf[act]];
  for (let r = 0, o = 0; r < m; r++, o += n) {
    for (let c = 0; c < n; c++) {
      const v = y[o + c] + (bias ? bias[c] : 0);
      y[o + c] = f ? f(v, 0, 0) : v;
    }
  }
}

/** Column sums of `[m, n]` `gz` into `out` (length `n`), accumulated in f32 row by row. */
export function biasGrad(gz: Float32Array, m: number, n: number, out: Float32Array): Float32Array {
  out.fill(0);
  for (let r = 0, o = 0; r < m; r++, o += n) {
    for (let c = 0; c < n; c++) out[c] += gz[o + c];
  }
  return out;
}
