/**
 * Multi-layer perceptrons from a size list such as `784-128-10`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { activationNames } from "./activations/registry.ts";
import { Linear } from "./linear.ts";
import type { Module } from "./module.ts";
import { Sequential } from "./sequential.ts";
import { activationForShape, widthBefore } from "./width_activations.ts";

/** Parses `784-128-10` into layer sizes; throws a UsageError naming `--model` otherwise. */
export function parseLayerSizes(spec: string): number[] {
  const sizes = spec.split("-").map((s) => Number(s));
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UsageError("model", `expected layer sizes like 784-128-10, got "${spec}"`);
  }
  return sizes;
}

/**
 * `Linear → act → … → Linear`, named like PyTorch's `nn.Sequential` (`0.weight`, `2.bias`, …).
 * `activation` is any name of the activation registry, with `activationArgs` in PyTorch's
 * names (e.g. `{ negative_slope: 0.2 }` for `leaky-relu`); a PReLU's weight is `1.weight`.
 * A hidden size counts units after the activation: `maxout` makes the linear layer before
 * it `pieces` times wider, `crelu` makes the layer after it take twice the width.
 * @example
 * ```ts
 * import { mlp, Rng } from "../../mod.ts";
 * const model = mlp([784, 128, 10], "relu", new Rng(0));
 * console.log(model.namedParameters().length); // 4
 * ```
 */
export function mlp(
  sizes: readonly number[],
  activation: string,
  rng: Rng,
  activationArgs: Readonly<Record<string, unknown>> = {},
): Sequential {
  if (!activationNames.includes(activation)) {
    throw new UsageError(
      "activation",
      `expected one of ${activationNames.join(", ")}, got "${activation}"`,
    );
  }
  const layers: Module[] = [];
  let width = sizes[0];
  for (const units of sizes.slice(1, -1)) {
    const out = widthBefore(activation, activationArgs, units);
    const act = activationForShape(activation, activationArgs, [out]);
    layers.push(new Linear(width, out, rng), act.module);
    width = act.shape[0];
  }
  layers.push(new Linear(width, sizes[sizes.length - 1], rng));
  return new Sequential(...layers);
}
