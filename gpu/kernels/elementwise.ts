/**
 * The elementwise op table in WGSL — one expression per name of `core/elementwise.ts`
 * (a test checks that both tables name the same ops) — and the one-thread-per-element
 * kernels: unary, binary on equal shapes, affine and axpy.
 *
 * @module
 */

import type { BinaryOpName, UnaryOpName } from "../../core/elementwise.ts";
import affine from "./affine.wgsl" with { type: "text" };
import axpy from "./axpy.wgsl" with { type: "text" };
import binary from "./binary.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import unary from "./unary.wgsl" with { type: "text" };

/**
 * WGSL expression of each unary op in `x` and the op's parameters `alpha` and `beta`; the
 * helpers they call (`expm1_f32`, `normal_cdf`, …) are in `activation_math.wgsl`.
 */
export const unaryWgsl: Readonly<Record<UnaryOpName, string>> = {
  neg: "-x",
  exp: "exp(x)",
  log: "log(x)",
  abs: "abs(x)",
  sign: "select(sign(x), x, is_nan(x))",
  sqrt: "sqrt(x)",
  square: "x * x",
  recip: "1.0 / x",
  // NaN propagates as in torch; is_nan, since compilers may assume no NaN in comparisons.
  relu: "select(0.0, x, x > 0.0 || is_nan(x))",
  // tanh(±15) rounds to ±1 in f32; clamping keeps exp-based tanh implementations from
  // computing inf / inf for large |x|.
  tanh: "select(tanh(clamp(x, -15.0, 15.0)), x, is_nan(x))",
  // exp(-x) overflows to inf only where the sigmoid is below f32's smallest normal: 0 is right.
  sigmoid: "1.0 / (1.0 + exp(-x))",
  pow: "pow_real(x, alpha)",
  gt: "select(0.0, 1.0, x > alpha)",
  leaky_relu: "select(x * alpha, x, x > 0.0)",
  elu: "select(alpha * expm1_f32(x), x, x > 0.0)",
  selu: "1.0507009873554805 * select(1.6732632423543772 * expm1_f32(x), x, x > 0.0)",
  celu: "select(alpha * expm1_f32(x / alpha), x, x > 0.0)",
  gelu: "x * normal_cdf(x)",
  // 0.5·x·(1 + tanh(u)) = x·σ(2u): no cancellation in 1 + tanh(u) for u ≪ 0.
  gelu_tanh: "x * sigmoid_f32(1.5957691216057308 * (x + 0.044715 * x * x * x))",
  silu: "x * sigmoid_f32(x)",
  mish: "x * tanh_softplus(x)",
  hardswish: "x * clamp(x + 3.0, 0.0, 6.0) / 6.0",
  hardsigmoid: "select(clamp(x + 3.0, 0.0, 6.0) / 6.0, x, is_nan(x))",
  hardtanh: "select(clamp(x, alpha, beta), x, is_nan(x))",
  log_sigmoid: "-softplus_f32(-x)",
  softsign: "x / (1.0 + abs(x))",
  softplus: "select(softplus_f32(x * alpha) / alpha, x, x * alpha > beta)",
  sin: "sin(x)",
  sign_ste: "select(sign(x), x, is_nan(x))",
};

/** WGSL expression of each binary op in `a`, `b` and the op's parameters `alpha` and `beta`. */
export const binaryWgsl: Readonly<Record<BinaryOpName, string>> = {
  add: "a + b",
  sub: "a - b",
  mul: "a * b",
  div: "a / b",
  eq: "select(0.0, 1.0, a == b)",
  relu_grad: "select(0.0, b, a > 0.0 || is_nan(a))",
  tanh_grad: "b * (1.0 - a * a)",
  sigmoid_grad: "b * a * (1.0 - a)",
  leaky_relu_grad: "select(b * alpha, b, a > 0.0)",
  elu_grad: "select(b * alpha * exp(a), b, a > 0.0)",
  selu_grad: "select(b * 1.7580993408473766 * exp(a), b * 1.0507009873554805, a > 0.0)",
  celu_grad: "select(b * exp(a / alpha), b, a > 0.0)",
  gelu_grad: "b * (normal_cdf(a) + a * normal_pdf(a))",
  gelu_tanh_grad: "b * gelu_tanh_slope(a)",
  silu_grad: "b * sigmoid_f32(a) * (1.0 + a * sigmoid_f32(-a))",
  mish_grad: "b * (tanh_softplus(a) + a * sigmoid_f32(a) * tanh_softplus_complement(a))",
  hardswish_grad: "select(select(b, b * (a / 3.0 + 0.5), a <= 3.0), 0.0, a < -3.0)",
  hardsigmoid_grad: "select(0.0, b / 6.0, a > -3.0 && a < 3.0)",
  hardtanh_grad: "select(0.0, b, a > alpha && a < beta)",
  log_sigmoid_grad: "b * sigmoid_f32(-a)",
  // Torch's autograd of x / (1 + |x|): NaN at ±∞ (∞/∞).
  softsign_grad: "b * (1.0 / (1.0 + abs(a)) - abs(a) / ((1.0 + abs(a)) * (1.0 + abs(a))))",
  softplus_grad: "select(b * sigmoid_f32(a * alpha), b, a * alpha > beta)",
  sin_grad: "b * cos(a)",
  sign_ste_grad: "select(0.0, b, abs(a) <= 1.0)",
};

/** WGSL defining `unary_op(x, alpha, beta)` as the table's `op`. */
export function unaryFunction(op: UnaryOpName): string {
  return `fn unary_op(x: f32, alpha: f32, beta: f32) -> f32 {\n  return ${unaryWgsl[op]};\n}`;
}

/** WGSL defining `binary_op(a, b, alpha, beta)` as the table's `op`. */
export function binaryFunction(op: BinaryOpName): string {
  return `fn binary_op(a: f32, b: f32, alpha: f32, beta: f32) -> f32 {\n  return ${
    binaryWgsl[op]
  };\n}`;
}

/** The op parameters `alpha` and `beta` of the unary, binary and broadcast kernels. */
export const SCALAR_PARAMS = [
  { name: "alpha", type: "f32" },
  { name: "beta", type: "f32" },
] as const;

const FLAT_IO = [["src", "read"], ["dst", "read_write"]] as const;

/** `dst = op(src, alpha, beta)`. */
export function unaryKernel(op: UnaryOpName): Kernel {
  return memoKernel(`unary:${op}`, (key) =>
    defineKernel({
      key,
      bindings: FLAT_IO,
      params: [{ name: "n", type: "u32" }, ...SCALAR_PARAMS],
      sources: [unaryFunction(op), unary],
    }));
}

/** `dst = op(a, b, alpha, beta)` on operands of equal size. */
export function binaryKernel(op: BinaryOpName): Kernel {
  return memoKernel(`binary:${op}`, (key) =>
    defineKernel({
      key,
      bindings: [["a", "read"], ["b", "read"], ["dst", "read_write"]],
      params: [{ name: "n", type: "u32" }, ...SCALAR_PARAMS],
      sources: [binaryFunction(op), binary],
    }));
}

/** `dst = src * mul + add`. */
export function affineKernel(): Kernel {
  return memoKernel("affine", (key) =>
    defineKernel({
      key,
      bindings: FLAT_IO,
      params: [
        { name: "n", type: "u32" },
        { name: "mul", type: "f32" },
        { name: "add", type: "f32" },
      ],
      sources: [affine],
    }));
}

/** `dst += alpha * src`. */
export function axpyKernel(): Kernel {
  return memoKernel("axpy", (key) =>
    defineKernel({
      key,
      bindings: [["dst", "read_write"], ["src", "read"]],
      params: [{ name: "n", type: "u32" }, { name: "alpha", type: "f32" }],
      sources: [axpy],
    }));
}
