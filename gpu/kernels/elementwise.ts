/**
 * The elementwise op table in WGSL — one expression per name of `core/elementwise.ts`,
 * the activations' taken from their records
 * (a test checks that both tables name the same ops) — and the one-thread-per-element
 * kernels: unary, binary on equal shapes, affine and axpy.
 *
 * @module
 */

import { byForwardOp, byGradOp } from "../../core/activations/mod.ts";
import type { BinaryOpName, UnaryOpName } from "../../core/elementwise.ts";
import affine from "./affine.wgsl" with { type: "text" };
import axpy from "./axpy.wgsl" with { type: "text" };
import binary from "./binary.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import unary from "./unary.wgsl" with { type: "text" };

/**
 * WGSL expression of each unary op in `x` and the op's parameters `alpha` and `beta`: the
 * primitives' here, each activation's from its record; the helpers they call (`expm1_f32`,
 * `normal_cdf`, …) are in `activation_math.wgsl`.
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
  ...byForwardOp((k) => k.wgsl),
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
  ...byGradOp((k) => k.gradWgsl),
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
