/**
 * The elementwise op table: every unary and binary op a backend must run, with its
 * scalar reference definition. The CPU backend runs these functions; the WebGPU backend
 * keeps a WGSL expression for each name, and a test checks that the two tables agree.
 *
 * @module
 */

/** Scalar definition of a unary op; `alpha` is its optional parameter. */
export type UnaryFn = (x: number, alpha: number) => number;
/** Scalar definition of a binary op. */
export type BinaryFn = (a: number, b: number) => number;

const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));

/** Unary ops by name. */
export const unaryOps = {
  neg: (x) => -x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  abs: (x) => Math.abs(x),
  sign: (x) => Math.sign(x),
  sqrt: (x) => Math.sqrt(x),
  square: (x) => x * x,
  recip: (x) => 1 / x,
  relu: (x) => (x > 0 ? x : 0),
  tanh: (x) => Math.tanh(x),
  sigmoid,
  /** `x ** alpha` */
  pow: (x, alpha) => Math.pow(x, alpha),
  /** `1` where `x > alpha`, else `0` */
  gt: (x, alpha) => (x > alpha ? 1 : 0),
} satisfies Record<string, UnaryFn>;

/** Binary ops by name; the `*_grad` ops are activation derivatives fused with the chain rule. */
export const binaryOps = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  /** `1` where `a == b`, else `0` (masks for max-reduce gradients). */
  eq: (a, b) => (a === b ? 1 : 0),
  /** ReLU backward from input `a = x` and upstream gradient `b`. */
  relu_grad: (x, g) => (x > 0 ? g : 0),
  /** Tanh backward from output `a = y`. */
  tanh_grad: (y, g) => g * (1 - y * y),
  /** Sigmoid backward from output `a = y`. */
  sigmoid_grad: (y, g) => g * y * (1 - y),
} satisfies Record<string, BinaryFn>;

/** Name of a unary elementwise op. */
export type UnaryOpName = keyof typeof unaryOps;
/** Name of a binary elementwise op. */
export type BinaryOpName = keyof typeof binaryOps;
