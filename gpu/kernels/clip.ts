/**
 * Gradient clipping in place: scaling to a maximum total norm that stays on the device
 * (`clip_grad_norm_`), and clamping each value (`clip_grad_value_`).
 *
 * @module
 */

import clampAbs from "./clamp_abs.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import scaleToNorm from "./scale_to_norm.wgsl" with { type: "text" };

/** `x *= min(1, max_norm / (norm[0] + 1e-6))`; bindings `x`, `norm`. */
export function scaleToNormKernel(): Kernel {
  return memoKernel("clip:norm", (key) =>
    defineKernel({
      key,
      bindings: [["x", "read_write"], ["norm", "read"]],
      params: [{ name: "n", type: "u32" }, { name: "max_norm", type: "f32" }],
      sources: [scaleToNorm],
    }));
}

/** `x = clamp(x, -limit, limit)`; binding `x`. */
export function clampAbsKernel(): Kernel {
  return memoKernel("clip:value", (key) =>
    defineKernel({
      key,
      bindings: [["x", "read_write"]],
      params: [{ name: "n", type: "u32" }, { name: "limit", type: "f32" }],
      sources: [clampAbs],
    }));
}
