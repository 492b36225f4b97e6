/**
 * Parameter initialisers with PyTorch's formulas (`torch.nn.init`), drawing from a seeded
 * {@link Rng}: the same distributions as PyTorch, not the same numbers (its generator is
 * another). The `*_` functions fill a target's host values in place, as PyTorch's do a
 * tensor; a {@link Parameter} is such a target until `bindParameters` uploads it.
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { sizeOf } from "../shape.ts";

/** `n` values from U(−bound, bound). */
export function uniformInit(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-bound, bound);
  return out;
}

/**
 * Kaiming-uniform with leaky-ReLU slope `a` (PyTorch's `kaiming_uniform_`, fan_in mode):
 * bound = gain·√(3 / fan_in), gain = √(2 / (1 + a²)).
 */
export function kaimingUniform(rng: Rng, n: number, fanIn: number, a: number): Float32Array {
  return uniformInit(rng, n, calculateGain("leaky_relu", a) * Math.sqrt(3 / fanIn));
}

/** What an initialiser fills: a shape and its row-major host values (e.g. a {@link Parameter}). */
export interface InitTarget {
  /** The tensor's shape. */
  readonly shape: readonly number[];
  /** Its values, written in place. */
  readonly init: Float32Array;
}

/** Nonlinearities that {@link calculateGain} knows, in PyTorch's names. */
export const nonlinearities = [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_transpose1d",
  "conv_transpose2d",
  "conv_transpose3d",
  "sigmoid",
  "tanh",
  "relu",
  "leaky_relu",
  "selu",
] as const;

/** A nonlinearity name of {@link calculateGain}. */
export type Nonlinearity = typeof nonlinearities[number];

/**
 * The recommended gain for `nonlinearity` (`torch.nn.init.calculate_gain`): 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu
 * (`param` is the slope, default 0.01), 3/4 for selu.
 * @example
 * ```ts
 * import { calculateGain } from "../../mod.ts";
 * console.log(calculateGain("tanh")); // 1.6666666666666667
 * console.log(calculateGain("leaky_relu", 0.2)); // ≈ 1.3868
 * ```
 */
export function calculateGain(nonlinearity: string, param?: number | null): number {
  switch (nonlinearity as Nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.sqrt(2);
    case "leaky_relu": {
      const a = param ?? 0.01;
      if (!Number.isFinite(a)) {
        throw new UsageError("calculate_gain", `negative_slope ${a} is not a valid number`);
      }
      return Math.sqrt(2 / (1 + a * a));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new UsageError(
        "calculate_gain",
        `unsupported nonlinearity "${nonlinearity}" (expected one of ${nonlinearities.join(", ")})`,
      );
  }
}

/**
 * `[fan_in, fan_out]` of a weight of `shape` (`[out, in, *kernel]`): `in·k` and `out·k`
 * with k the kernel's size, as PyTorch's `_calculate_fan_in_and_fan_out`.
 * @example
 * ```ts
 * import { fanInAndFanOut } from "../../mod.ts";
 * console.log(fanInAndFanOut([16, 3, 5, 5])); // [75, 400]
 * ```
 */
export function fanInAndFanOut(shape: readonly number[], where = "fan"): [number, number] {
  if (shape.length < 2) {
    throw new ShapeError(
      where,
      `fan in and fan out need a tensor of 2 or more dimensions, got shape [${shape}]`,
    );
  }
  const receptive = sizeOf(shape.slice(2));
  return [shape[1] * receptive, shape[0] * receptive];
}

/** Fills `target` with successive `next()` values and returns it. */
function fill(target: InitTarget, next: () => number): InitTarget {
  for (let i = 0; i < target.init.length; i++) target.init[i] = next();
  return target;
}

/** Fills `target` with U(a, b) (`uniform_`). */
export function uniform_(target: InitTarget, rng: Rng, a = 0, b = 1): InitTarget {
  if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) {
    throw new UsageError("uniform_", `expected finite a ≤ b, got a = ${a}, b = ${b}`);
  }
  return fill(target, () => rng.uniformIn(a, b));
}

/** Fills `target` with N(mean, std²) (`normal_`). */
export function normal_(target: InitTarget, rng: Rng, mean = 0, std = 1): InitTarget {
  if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) {
    throw new UsageError("normal_", `expected a finite mean and std ≥ 0, got ${mean}, ${std}`);
  }
  return fill(target, () => mean + std * rng.normal());
}

/** Fills `target` with `val` (`constant_`). */
export function constant_(target: InitTarget, val: number): InitTarget {
  if (typeof val !== "number" || Number.isNaN(val)) {
    throw new UsageError("constant_", `val must be a number, got ${val}`);
  }
  return fill(target, () => val);
}

/** Fills `target` with 0 (`zeros_`). */
export function zeros_(target: InitTarget): InitTarget {
  return constant_(target, 0);
}

/** Fills `target` with 1 (`ones_`). */
export function ones_(target: InitTarget): InitTarget {
  return constant_(target, 1);
}

/**
 * Glorot-uniform (`xavier_uniform_`): U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).

 * @example
 * ```ts
 * import { Parameter, Rng, xavierUniform_ } from "../../mod.ts";
 * const w = new Parameter([64, 32], new Float32Array(64 * 32));
 * xavierUniform_(w, new Rng(0));
 * console.log(w.init.every((v) => Math.abs(v) <= Math.sqrt(6 / 96))); // true
 * ```
 */
export function xavierUniform_(target: InitTarget, rng: Rng, gain = 1): InitTarget {
  const bound = Math.sqrt(3) * xavierStd(target, gain, "xavier_uniform_");
  return fill(target, () => rng.uniformIn(-bound, bound));
}

/** Glorot-normal (`xavier_normal_`): N(0, std²) with std = gain·√(2 / (fan_in + fan_out)). */
export function xavierNormal_(target: InitTarget, rng: Rng, gain = 1): InitTarget {
  const std = xavierStd(target, gain, "xavier_normal_");
  return fill(target, () => std * rng.normal());
}

function xavierStd(target: InitTarget, gain: number, where: string): number {
  if (!Number.isFinite(gain)) throw new UsageError(where, `gain must be a number, got ${gain}`);
  const [fanIn, fanOut] = fanInAndFanOut(target.shape, where);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Options of the Kaiming initialisers, PyTorch's arguments. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (default 0; only used with leaky_relu). */
  a?: number;
  /** Preserve the variance of the forward pass (`fan_in`, default) or of the backward pass. */
  mode?: "fan_in" | "fan_out";
  /** The nonlinearity that follows, for {@link calculateGain} (default `leaky_relu`). */
  nonlinearity?: Nonlinearity;
}

/**
 * He-uniform (`kaiming_uniform_`): U(−b, b) with b = gain·√(3 / fan), fan by `mode`, gain
 * from `nonlinearity` and `a`.
 * @example
 * ```ts
 * import { kaimingUniform_, Parameter, Rng } from "../../mod.ts";
 * const w = new Parameter([128, 50], new Float32Array(128 * 50));
 * kaimingUniform_(w, new Rng(0), { nonlinearity: "relu" });
 * console.log(w.init.every((v) => Math.abs(v) <= Math.sqrt(6 / 50))); // true
 * ```
 */
export function kaimingUniform_(
  target: InitTarget,
  rng: Rng,
  options: KaimingOptions = {},
): InitTarget {
  const bound = Math.sqrt(3) * kaimingStd(target, options, "kaiming_uniform_");
  return fill(target, () => rng.uniformIn(-bound, bound));
}

/** He-normal (`kaiming_normal_`): N(0, std²) with std = gain / √fan. */
export function kaimingNormal_(
  target: InitTarget,
  rng: Rng,
  options: KaimingOptions = {},
): InitTarget {
  const std = kaimingStd(target, options, "kaiming_normal_");
  return fill(target, () => std * rng.normal());
}

function kaimingStd(target: InitTarget, options: KaimingOptions, where: string): number {
  const { a = 0, mode = "fan_in", nonlinearity = "leaky_relu" } = options;
  if (mode !== "fan_in" && mode !== "fan_out") {
    throw new UsageError(where, `mode must be fan_in or fan_out, got "${mode}"`);
  }
  const [fanIn, fanOut] = fanInAndFanOut(target.shape, where);
  return calculateGain(nonlinearity, a) / Math.sqrt(mode === "fan_in" ? fanIn : fanOut);
}

/**
 * A (semi-)orthogonal matrix times `gain` (`orthogonal_`): the Q of the QR decomposition of
 * a standard normal `[rows, numel / rows]` matrix (transposed when wider than tall), with
 * R's diagonal made positive, so rows or columns, whichever are fewer, are orthonormal.
 * The QR is Gram–Schmidt run twice per column in float64, on the host.
 * @example
 * ```ts
 * import { orthogonal_, Parameter, Rng } from "../../mod.ts";
 * const w = orthogonal_(new Parameter([2, 2], new Float32Array(4)), new Rng(0));
 * const [a, b, c, d] = w.init;
 * console.log(Math.abs(a * c + b * d) < 1e-6); // true
 * ```
 */
export function orthogonal_(target: InitTarget, rng: Rng, gain = 1): InitTarget {
  if (target.shape.length < 2) {
    throw new ShapeError(
      "orthogonal_",
      `only tensors with 2 or more dimensions are supported, got shape [${target.shape}]`,
    );
  }
  if (!Number.isFinite(gain)) {
    throw new UsageError("orthogonal_", `gain must be a number, got ${gain}`);
  }
  const rows = target.shape[0];
  const cols = target.init.length / rows;
  if (target.init.length === 0) return target;
  const normal = Float64Array.from({ length: rows * cols }, () => rng.normal());
  // Orthonormalise the shorter side's vectors: the columns when tall, else the rows.
  const tall = rows >= cols;
  const [count, length] = tall ? [cols, rows] : [rows, cols];
  const at = (v: number, i: number) => (tall ? i * cols + v : v * cols + i);
  const basis: Float64Array[] = [];
  for (let v = 0; v < count; v++) {
    const q = Float64Array.from({ length }, (_, i) => normal[at(v, i)]);
    for (let pass = 0; pass < 2; pass++) {
      for (const e of basis) {
        let dot = 0;
        for (let i = 0; i < length; i++) dot += e[i] * q[i];
        for (let i = 0; i < length; i++) q[i] -= dot * e[i];
      }
    }
    let squares = 0;
    for (let i = 0; i < length; i++) squares += q[i] * q[i];
    const norm = Math.sqrt(squares);
    for (let i = 0; i < length; i++) {
      q[i] /= norm;
      target.init[at(v, i)] = gain * q[i];
    }
    basis.push(q);
  }
  return target;
}
