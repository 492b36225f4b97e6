/**
 * `x·σ(x)` (`nn.SiLU`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";
import { sigmoid } from "../activation_math.ts";

/** This activation's record: kernels, reference math, WGSL and catalogue entry. */
export const silu = defineActivation({
  op: "silu",
  forward: (x) => x * sigmoid(x),
  grad: (x, g) => g * sigmoid(x) * (1 + x * sigmoid(-x)),
  wgsl: "x * sigmoid_f32(x)",
  gradWgsl: "b * sigmoid_f32(a) * (1.0 + a * sigmoid_f32(-a))",
  entry: { name: "silu", pytorch: "nn.SiLU", args: [], scalars: () => [0, 0] },
});
