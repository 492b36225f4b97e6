/**
 * The elementwise op table: every unary and binary op a backend must run, with its
 * scalar reference definition. The CPU backend runs these functions; the WebGPU backend
 * keeps a WGSL expression for each name, and a test checks that the two tables agree.
 *
 * @module
 */

import { erfc } from "./erf.ts";

/** Scalar definition of a unary op; `alpha` and `beta` are its optional parameters. */
export type UnaryFn = (x: number, alpha: number, beta: number) => number;
/** Scalar definition of a binary op; `alpha` and `beta` are its optional parameters. */
export type BinaryFn = (a: number, b: number, alpha: number, beta: number) => number;

const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
/** `log(1 + eˣ)` without overflow. */
const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** Φ(x), the standard normal distribution function. */
const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);
/** φ(x), the standard normal density. */
const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
/** SELU's α and λ (`torch.nn.SELU`). */
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;
/** √(2/π) and κ of GELU's tanh approximation. */
const GELU_BETA = Math.sqrt(2 / Math.PI);
const GELU_KAPPA = 0.044715;

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
  /** NaN propagates (`x <= 0` is false for it), as in torch. */
  relu: (x) => (x <= 0 ? 0 : x),
  tanh: (x) => Math.tanh(x),
  sigmoid,
  /** `x ** alpha` */
  pow: (x, alpha) => Math.pow(x, alpha),
  /** `1` where `x > alpha`, else `0` */
  gt: (x, alpha) => (x > alpha ? 1 : 0),
  /** `alpha` is the negative slope. */
  leaky_relu: (x, slope) => (x > 0 ? x : x * slope),
  elu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  celu: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x / alpha)),
  /** `x·Φ(x)`, the exact GELU. */
  gelu: (x) => x * normalCdf(x),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(GELU_BETA * (x + GELU_KAPPA * x * x * x))),
  silu: (x) => x * sigmoid(x),
  mish: (x) => x * Math.tanh(softplus(x)),
  hardswish: (x) => x * Math.min(Math.max(x + 3, 0), 6) / 6,
  hardsigmoid: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
  /** Clamps to `[alpha, beta]` = `[min_val, max_val]`. */
  hardtanh: (x, min, max) => Math.min(Math.max(x, min), max),
  log_sigmoid: (x) => -softplus(-x),
  softsign: (x) => x / (1 + Math.abs(x)),
  /** `alpha` is β, `beta` the threshold above which `β·x` passes through linearly. */
  softplus: (x, beta, threshold) => (x * beta > threshold ? x : softplus(x * beta) / beta),
  sin: (x) => Math.sin(x),
  /** `sign`, whose gradient is the straight-through estimator (see `sign_ste_grad`). */
  sign_ste: (x) => Math.sign(x),
} satisfies Record<string, UnaryFn>;

/** Binary ops by name; the `*_grad` ops are activation derivatives fused with the chain rule. */
export const binaryOps = {
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
  // The rest take the input `a = x`, the upstream gradient `b = g`, and the forward op's
  // `alpha` and `beta`; at kinks they follow PyTorch's derivative conventions.
  leaky_relu_grad: (x, g, slope) => (x > 0 ? g : g * slope),
  elu_grad: (x, g, alpha) => (x > 0 ? g : g * alpha * Math.exp(x)),
  selu_grad: (x, g) => g * SELU_SCALE * (x > 0 ? 1 : SELU_ALPHA * Math.exp(x)),
  celu_grad: (x, g, alpha) => (x > 0 ? g : g * Math.exp(x / alpha)),
  gelu_grad: (x, g) => g * (normalCdf(x) + x * normalPdf(x)),
  gelu_tanh_grad: (x, g) => {
    const t = Math.tanh(GELU_BETA * (x + GELU_KAPPA * x * x * x));
    const inner = GELU_BETA * (1 + 3 * GELU_KAPPA * x * x);
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * inner);
  },
  silu_grad: (x, g) => g * sigmoid(x) * (1 + x * sigmoid(-x)),
  mish_grad: (x, g) => {
    const t = Math.tanh(softplus(x));
    return g * (t + x * sigmoid(x) * (1 - t * t));
  },
  hardswish_grad: (x, g) => (x < -3 ? 0 : x <= 3 ? g * (x / 3 + 0.5) : g),
  hardsigmoid_grad: (x, g) => (x > -3 && x < 3 ? g / 6 : 0),
  hardtanh_grad: (x, g, min, max) => (x > min && x < max ? g : 0),
  log_sigmoid_grad: (x, g) => g * sigmoid(-x),
  /** Torch's autograd of x / (1 + |x|): NaN at ±∞ (∞/∞), not 0. */
  softsign_grad: (x, g) => {
    const d = 1 + Math.abs(x);
    return g * (1 / d - Math.abs(x) / (d * d));
  },
  softplus_grad: (x, g, beta, threshold) => (x * beta > threshold ? g : g * sigmoid(x * beta)),
  sin_grad: (x, g) => g * Math.cos(x),
  /** Straight-through estimator of sign: `g` where `|x| ≤ 1`, else 0. */
  sign_ste_grad: (x, g) => (Math.abs(x) <= 1 ? g : 0),
} satisfies Record<string, BinaryFn>;

/** Name of a unary elementwise op. */
export type UnaryOpName = keyof typeof unaryOps;
/** Name of a binary elementwise op. */
export type BinaryOpName = keyof typeof binaryOps;
