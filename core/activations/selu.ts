/**
 * `scale·(x` where `x > 0`, else `α·(eˣ − 1))` with PyTorch's fixed α and scale (`nn.SELU`).
 *
 * @module
 */

import { defineActivation } from "../activation_kernel.ts";

/** SELU's α and λ (`torch.nn.SELU`). */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** SELU's record: kernels, reference math, WGSL and catalogue entry. */
export const selu = defineActivation({
  op: "selu",
  forward: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  grad: (x, g) => g * SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
  wgsl: "1.0507009873554805 * select(1.6732632423543772 * expm1_f32(x), x, x > 0.0)",
  gradWgsl: "select(b * 1.7580993408473766 * exp(a), b * 1.0507009873554805, a > 0.0)",
  entry: { name: "selu", pytorch: "nn.SELU", args: [], scalars: () => [0, 0] },
});
