/**
 * GELU's tanh approximation, `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))` (`nn.GELU(approximate="tanh")`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** √(2/π) and κ of GELU's tanh approximation. */
const GELU_BETA = Math.sqrt(2 / Math.PI);
const GELU_KAPPA = 0.044715;

/** The record of GELU's tanh form: kernels, reference math and WGSL. */
export const geluTanh = defineActivation({
  op: "gelu_tanh",
  forward: (x) => 0.5 * x * (1 + Math.tanh(GELU_BETA * (x + GELU_KAPPA * x * x * x))),
  grad: (x, g) => {
    const t = Math.tanh(GELU_BETA * (x + GELU_KAPPA * x * x * x));
    const inner = GELU_BETA * (1 + 3 * GELU_KAPPA * x * x);
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner);
  },
  // 0.5·x·(1 + tanh(u)) = x·σ(2u): no cancellation in 1 + tanh(u) for u ≪ 0.
  wgsl: "x * sigmoid_f32(1.5957691216057308 * (x + 0.044715 * x * x * x))",
  gradWgsl: "b * gelu_tanh_slope(a)",
});
