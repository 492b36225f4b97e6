/**
 * The activations as functions, like `torch.nn.functional`: PyTorch's arguments, defaults
 * and formulas, each argument checked. The elementwise ones are one kernel forward and one
 * fused `*_grad` kernel backward (the records of `core/activations/`); `prelu` is an op of its
 * own (prelu_op.ts).
 * `relu`, `tanh`, `sigmoid`, `softmax` and `logSoftmax` live in `core/ops.ts`.
 *
 * @module
 */

import {
  requireApproximate,
  requireFinite,
  requireNonzero,
  requireNumber,
  requireRange,
} from "../../arg_checks.ts";
import { ShapeError } from "../../errors.ts";
import { reshape, unary } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";
import { preluOf } from "./prelu_op.ts";

/** GELU's two forms: exact (`x·Φ(x)`) or the tanh approximation. */
export type GeluApproximate = "none" | "tanh";

/**
 * `x` where `x > 0`, else `negativeSlope·x` (`F.leaky_relu`).
 * @example
 * ```ts
 * import { createCpuBackend, leakyRelu, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [-2, 0, 3], [3]);
 * console.log(await leakyRelu(x, 0.5).toArray()); // Float32Array [-1, 0, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  requireFinite("leakyRelu", "negative_slope", negativeSlope);
  return unary("leaky_relu", x, negativeSlope);
}

/**
 * `x` where `x > 0`, else `weight·x` (`F.prelu`). `weight` is `[1]`, or `[C]` with one
 * slope per channel along dim 1 of `x` (a 1-D `x` has one channel). The gradient at
 * `x = 0` is `weight`, like PyTorch's.
 * @example
 * ```ts
 * import { createCpuBackend, prelu, tensor } from "../../../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [-1, 1, -2, 2], [2, 2]);
 * console.log(await prelu(x, tensor(b, [0.1, 0.5], [2])).toArray()); // ≈ [-0.1, 1, -0.2, 2]
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const n = weight.size;
  const channels = x.shape.length >= 2 ? x.shape[1] : 1;
  if (weight.shape.length !== 1 || (n !== 1 && n !== channels)) {
    throw new ShapeError(
      "prelu",
      `weight must be [1] or [${channels}] (the channels of input [${x.shape}]), ` +
        `got [${weight.shape}]`,
    );
  }
  const w = n === 1
    ? reshape(weight, [])
    : reshape(weight, x.shape.map((d, i) => (i === 1 ? d : 1)));
  return preluOf(x, w);
}

/**
 * `min(max(x, 0), 6)` (`F.relu6`), with Hardtanh's gradient: 0 at 0 and 6.
 * @example
 * ```ts
 * import { createCpuBackend, relu6, tensor } from "../../../mod.ts";
 * console.log(await relu6(tensor(createCpuBackend(), [-1, 3, 9], [3])).toArray()); // [0, 3, 6]
 * ```
 */
export function relu6(x: Tensor): Tensor {
  return unary("hardtanh", x, 0, 6);
}

/**
 * `x` where `x > 0`, else `alpha·(eˣ − 1)` (`F.elu`).
 * @example
 * ```ts
 * import { createCpuBackend, elu, tensor } from "../../../mod.ts";
 * console.log(await elu(tensor(createCpuBackend(), [-1, 2], [2])).toArray()); // ≈ [-0.632, 2]
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  requireFinite("elu", "alpha", alpha);
  return unary("elu", x, alpha);
}

/**
 * `λ·x` where `x > 0`, else `λ·α·(eˣ − 1)`, with α ≈ 1.6733 and λ ≈ 1.0507 (`F.selu`).
 * @example
 * ```ts
 * import { createCpuBackend, selu, tensor } from "../../../mod.ts";
 * console.log(await selu(tensor(createCpuBackend(), [1], [1])).toArray()); // ≈ [1.0507]
 * ```
 */
export function selu(x: Tensor): Tensor {
  return unary("selu", x);
}

/**
 * `x` where `x > 0`, else `alpha·(e^(x/alpha) − 1)` (`F.celu`); `alpha` must be nonzero.
 * @example
 * ```ts
 * import { celu, createCpuBackend, tensor } from "../../../mod.ts";
 * console.log(await celu(tensor(createCpuBackend(), [-1, 2], [2]), 2).toArray()); // ≈ [-0.787, 2]
 * ```
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  requireNonzero("celu", "alpha", alpha);
  return unary("celu", x, alpha);
}

/**
 * `x·Φ(x)` with Φ the standard normal distribution function (`F.gelu`), or with
 * `approximate: "tanh"` `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 * @example
 * ```ts
 * import { createCpuBackend, gelu, tensor } from "../../../mod.ts";
 * console.log(await gelu(tensor(createCpuBackend(), [1], [1])).toArray()); // ≈ [0.8413]
 * ```
 */
export function gelu(x: Tensor, approximate: GeluApproximate = "none"): Tensor {
  requireApproximate("gelu", approximate);
  return unary(approximate === "tanh" ? "gelu_tanh" : "gelu", x);
}

/**
 * `x·σ(x)`, also called swish (`F.silu`).
 * @example
 * ```ts
 * import { createCpuBackend, silu, tensor } from "../../../mod.ts";
 * console.log(await silu(tensor(createCpuBackend(), [0, 1], [2])).toArray()); // ≈ [0, 0.7311]
 * ```
 */
export function silu(x: Tensor): Tensor {
  return unary("silu", x);
}

/**
 * `x·tanh(softplus(x))` (`F.mish`).
 * @example
 * ```ts
 * import { createCpuBackend, mish, tensor } from "../../../mod.ts";
 * console.log(await mish(tensor(createCpuBackend(), [1], [1])).toArray()); // ≈ [0.8651]
 * ```
 */
export function mish(x: Tensor): Tensor {
  return unary("mish", x);
}

/**
 * `x·min(max(x + 3, 0), 6)/6` (`F.hardswish`); its gradient is `x/3 + 0.5` on `[-3, 3]`
 * (both ends included), like PyTorch's.
 * @example
 * ```ts
 * import { createCpuBackend, hardswish, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [-4, 0, 3], [3]);
 * console.log(await hardswish(x).toArray()); // [-0, 0, 3]
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  return unary("hardswish", x);
}

/**
 * `min(max(x + 3, 0), 6)/6` (`F.hardsigmoid`); its gradient is 1/6 strictly inside (−3, 3).
 * @example
 * ```ts
 * import { createCpuBackend, hardsigmoid, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [-4, 0, 3], [3]);
 * console.log(await hardsigmoid(x).toArray()); // [0, 0.5, 1]
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  return unary("hardsigmoid", x);
}

/**
 * `min(max(x, minVal), maxVal)` (`F.hardtanh`); its gradient is 1 strictly inside the
 * range and 0 at and beyond its ends.
 * @example
 * ```ts
 * import { createCpuBackend, hardtanh, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [-3, 0.5, 3], [3]);
 * console.log(await hardtanh(x).toArray()); // [-1, 0.5, 1]
 * ```
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  requireRange("hardtanh", minVal, maxVal);
  return unary("hardtanh", x, minVal, maxVal);
}

/**
 * `log σ(x) = −softplus(−x)` (`F.logsigmoid`), finite for any input.
 * @example
 * ```ts
 * import { createCpuBackend, logSigmoid, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [0, -1e4], [2]);
 * console.log(await logSigmoid(x).toArray()); // ≈ [-0.6931, -10000]
 * ```
 */
export function logSigmoid(x: Tensor): Tensor {
  return unary("log_sigmoid", x);
}

/**
 * `x / (1 + |x|)` (`F.softsign`).
 * @example
 * ```ts
 * import { createCpuBackend, softsign, tensor } from "../../../mod.ts";
 * console.log(await softsign(tensor(createCpuBackend(), [-1, 3], [2])).toArray()); // [-0.5, 0.75]
 * ```
 */
export function softsign(x: Tensor): Tensor {
  return unary("softsign", x);
}

/**
 * `log(1 + e^(beta·x)) / beta`, or `x` where `beta·x > threshold` (`F.softplus`). It is
 * evaluated as `max(u, 0) + log1p(e^(−|u|))`, so unlike PyTorch's float32 it stays finite
 * when a large `threshold` lets `beta·x` pass 88.
 * @example
 * ```ts
 * import { createCpuBackend, softplus, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [0, 30], [2]);
 * console.log(await softplus(x).toArray()); // ≈ [0.6931, 30]
 * ```
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  requireNonzero("softplus", "beta", beta);
  requireNumber("softplus", "threshold", threshold);
  return unary("softplus", x, beta, threshold);
}

/**
 * `sin(x)`, the periodic activation of SIREN networks.
 * @example
 * ```ts
 * import { createCpuBackend, sin, tensor } from "../../../mod.ts";
 * console.log(await sin(tensor(createCpuBackend(), [0], [1])).toArray()); // [0]
 * ```
 */
export function sin(x: Tensor): Tensor {
  return unary("sin", x);
}

/**
 * `sign(x)` (−1, 0 or 1) with the straight-through estimator as its gradient: the upstream
 * gradient passes unchanged where `|x| ≤ 1` and is 0 elsewhere (the gradient of
 * `clamp(x, −1, 1)`), as in binarized networks. `torch.sign` itself has gradient 0.
 * @example
 * ```ts
 * import { createCpuBackend, signSte, tensor } from "../../../mod.ts";
 * const x = tensor(createCpuBackend(), [-0.5, 0, 2], [3]);
 * console.log(await signSte(x).toArray()); // [-1, 0, 1]
 * ```
 */
export function signSte(x: Tensor): Tensor {
  return unary("sign_ste", x);
}
