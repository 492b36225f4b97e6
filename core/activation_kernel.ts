/**
 * The record of one elementwise activation: everything that every backend, autograd and
 * the catalogue read of it, in one place. Each record lives in its own file under
 * `core/activations/` and is listed once in `core/activations/mod.ts`; from there the CPU
 * op table (`core/elementwise.ts`), the WGSL op table (`gpu/kernels/elementwise.ts`), the
 * gradient (`core/ops.ts`) and the registry (`core/nn/activations/registry.ts`) pick it up.
 *
 * @module
 */

import type { CatalogArg, CatalogArgs } from "./catalog.ts";

/** Scalar definition of a unary op; `alpha` and `beta` are its optional parameters. */
export type UnaryFn = (x: number, alpha: number, beta: number) => number;
/** Scalar definition of a binary op; `alpha` and `beta` are its optional parameters. */
export type BinaryFn = (a: number, b: number, alpha: number, beta: number) => number;

/** What the catalogue shows of an activation, and how its arguments become kernel scalars. */
export interface ActivationEntry {
  /** kebab-case name, as `--activation` and `activationFromName` take it. */
  readonly name: string;
  /** What PyTorch calls it. */
  readonly pytorch: string;
  /** Its arguments in PyTorch's names with their defaults. */
  readonly args: readonly CatalogArg[];
  /**
   * The kernel's `alpha` and `beta` from the arguments (defaults filled in), each checked:
   * a UsageError names the argument and what was expected.
   */
  readonly scalars: (args: CatalogArgs) => readonly [alpha: number, beta: number];
}

/** One elementwise activation: its kernel pair, reference math, WGSL and catalogue entry. */
export interface ActivationKernel<Op extends string = string> {
  /** The forward kernel's name; the backward kernel is `${op}_grad`. */
  readonly op: Op;
  /** Reference forward of `x` with the scalars `alpha` and `beta` (float64 math). */
  readonly forward: UnaryFn;
  /**
   * Reference backward: the upstream gradient `g` times the derivative, from the input `x`
   * (or the output `y` when {@link gradFrom} is `"output"`), with the forward's scalars. At
   * kinks it follows PyTorch's derivative conventions.
   */
  readonly grad: BinaryFn;
  /** What the backward reads beside `g`; default `"input"`. */
  readonly gradFrom?: "input" | "output";
  /**
   * WGSL expression of the forward in `x`, `alpha` and `beta`; it may call the helpers of
   * `gpu/kernels/activation_math.wgsl` (`expm1_f32`, `sigmoid_f32`, `normal_cdf`, …).
   */
  readonly wgsl: string;
  /** WGSL expression of the backward in `a` (`x` or `y`), `b` (`g`), `alpha` and `beta`. */
  readonly gradWgsl: string;
  /** Its catalogue entry, when the kernel is an activation of its own under one name. */
  readonly entry?: ActivationEntry;
}

/** `record`, with its op name kept as a literal type (so op tables stay typed by name). */
export function defineActivation<const Op extends string>(
  record: ActivationKernel<Op>,
): ActivationKernel<Op> {
  return record;
}
