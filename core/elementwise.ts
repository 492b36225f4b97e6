/**
 * The elementwise op table: every unary and binary op a backend must run, with its
 * scalar reference definition. The primitives are written here; each activation adds its
 * forward and `*_grad` ops from its record (`core/activations/`). The CPU backend runs
 * these functions; the WebGPU backend keeps a WGSL expression for each name (the
 * primitives' in `gpu/kernels/elementwise.ts`, the records' own), and a test checks that
 * the two tables agree.
 *
 * @module
 */

import type { BinaryFn, UnaryFn } from "./activation_kernel.ts";
import { sigmoid } from "./activation_math.ts";
import { type ActivationOpName, byForwardOp, byGradOp } from "./activations/mod.ts";

export type { BinaryFn, UnaryFn };

/** Name of a primitive unary op (each activation record adds its own, {@link ActivationOpName}). */
export type PrimitiveUnaryName =
  | "neg"
  | "exp"
  | "log"
  | "abs"
  | "sign"
  | "sqrt"
  | "square"
  | "recip"
  | "relu"
  | "tanh"
  | "sigmoid"
  | "pow"
  | "gt";

/** Name of a primitive binary op (each activation record adds its `*_grad`). */
export type PrimitiveBinaryName =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "eq"
  | "relu_grad"
  | "tanh_grad"
  | "sigmoid_grad";

/** The primitive unary ops by name; each activation record adds its own. */
const primitiveUnary = {
  neg: (x) => -x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  abs: (x) => Math.abs(x),
  sign: (x) => Math.sign(x),
  sqrt: (x) => Math.sqrt(x),
  square: (x) => x * x,
  recip: (x) => 1 / x,
  /** NaN propagates (`x <= 0` is false for it), as in torch. */
  relu: (x) => (x <= 0 ? 0 : x),
  tanh: (x) => Math.tanh(x),
  sigmoid,
  /** `x ** alpha` */
  pow: (x, alpha) => Math.pow(x, alpha),
  /** `1` where `x > alpha`, else `0` */
  gt: (x, alpha) => (x > alpha ? 1 : 0),
} satisfies Record<PrimitiveUnaryName, UnaryFn>;

/**
 * The primitive binary ops by name; each activation record adds its `*_grad` op, its
 * derivative fused with the chain rule.
 */
const primitiveBinary = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  /** `1` where `a == b`, else `0` (masks for max-reduce gradients). */
  eq: (a, b) => (a === b ? 1 : 0),
  /** ReLU backward from input `a = x` and upstream gradient `b` (passed through at NaN, as torch). */
  relu_grad: (x, g) => (x <= 0 ? 0 : g),
  /** Tanh backward from output `a = y`. */
  tanh_grad: (y, g) => g * (1 - y * y),
  /** Sigmoid backward from output `a = y`. */
  sigmoid_grad: (y, g) => g * y * (1 - y),
} satisfies Record<PrimitiveBinaryName, BinaryFn>;

/** Name of a unary elementwise op. */
export type UnaryOpName = PrimitiveUnaryName | ActivationOpName;
/** Name of a binary elementwise op. */
export type BinaryOpName = PrimitiveBinaryName | `${ActivationOpName}_grad`;

/** Unary ops by name: the primitives, then each activation record's forward. */
export const unaryOps: Readonly<Record<UnaryOpName, UnaryFn>> = {
  ...primitiveUnary,
  ...byForwardOp((k) => k.forward),
};

/** Binary ops by name: the primitives, then each activation record's `*_grad` backward. */
export const binaryOps: Readonly<Record<BinaryOpName, BinaryFn>> = {
  ...primitiveBinary,
  ...byGradOp((k) => k.grad),
};
