/**
 * Every initialiser by name (kebab-case), with its arguments in PyTorch's names and their
 * defaults: the catalogue as data, and {@link initFromName}, which builds an initialiser
 * from a name and arguments.
 *
 * @module
 */

import {
  buildFromCatalog,
  catalogArg as arg,
  type CatalogArgs as Args,
  type CatalogSpec,
  catalogSpecs,
  numberArg as num,
} from "../catalog.ts";
import { UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import {
  calculateGain,
  constant_,
  type InitTarget,
  kaimingNormal_,
  type KaimingOptions,
  kaimingUniform_,
  normal_,
  ones_,
  orthogonal_,
  uniform_,
  xavierNormal_,
  xavierUniform_,
  zeros_,
} from "./init.ts";

/** Fills a target's values in place (drawing from `rng` where random) and returns it. */
export type Initializer = (target: InitTarget, rng: Rng) => InitTarget;

/** One initialiser of the catalogue. */
export type InitSpec = CatalogSpec;

interface InitDef extends InitSpec {
  readonly create: (a: Args) => Initializer;
}

const gain = arg("gain", 1, "scaling factor");
const kaimingArgs = [
  arg("a", 0, "negative slope of the leaky_relu that follows"),
  arg("mode", "fan_in", "fan_in (keeps the forward variance) or fan_out (the backward's)"),
  arg("nonlinearity", "leaky_relu", "the nonlinearity that follows, as calculate_gain names it"),
];

function kaiming(a: Args): KaimingOptions {
  const options = {
    a: num(a, "a"),
    mode: a.mode as KaimingOptions["mode"],
    nonlinearity: a.nonlinearity as KaimingOptions["nonlinearity"],
  };
  // Checked now, so a bad name fails where it is given rather than at first use.
  calculateGain(options.nonlinearity!, options.a);
  if (options.mode !== "fan_in" && options.mode !== "fan_out") {
    throw new UsageError("mode", `expected fan_in or fan_out, got "${options.mode}"`);
  }
  return options;
}

const defs: readonly InitDef[] = [
  {
    name: "uniform",
    pytorch: "nn.init.uniform_",
    args: [arg("a", 0, "lower bound"), arg("b", 1, "upper bound")],
    create: (a) => (t, rng) => uniform_(t, rng, num(a, "a"), num(a, "b")),
  },
  {
    name: "normal",
    pytorch: "nn.init.normal_",
    args: [arg("mean", 0, "mean"), arg("std", 1, "standard deviation")],
    create: (a) => (t, rng) => normal_(t, rng, num(a, "mean"), num(a, "std")),
  },
  {
    name: "constant",
    pytorch: "nn.init.constant_",
    args: [arg("val", null, "the value to fill with (required)")],
    create: (a) => (t) => constant_(t, num(a, "val")),
  },
  { name: "ones", pytorch: "nn.init.ones_", args: [], create: () => (t) => ones_(t) },
  { name: "zeros", pytorch: "nn.init.zeros_", args: [], create: () => (t) => zeros_(t) },
  {
    name: "xavier-uniform",
    pytorch: "nn.init.xavier_uniform_",
    args: [gain],
    create: (a) => (t, rng) => xavierUniform_(t, rng, num(a, "gain")),
  },
  {
    name: "xavier-normal",
    pytorch: "nn.init.xavier_normal_",
    args: [gain],
    create: (a) => (t, rng) => xavierNormal_(t, rng, num(a, "gain")),
  },
  {
    name: "kaiming-uniform",
    pytorch: "nn.init.kaiming_uniform_",
    args: kaimingArgs,
    create: (a) => {
      const options = kaiming(a);
      return (t, rng) => kaimingUniform_(t, rng, options);
    },
  },
  {
    name: "kaiming-normal",
    pytorch: "nn.init.kaiming_normal_",
    args: kaimingArgs,
    create: (a) => {
      const options = kaiming(a);
      return (t, rng) => kaimingNormal_(t, rng, options);
    },
  },
  {
    name: "orthogonal",
    pytorch: "nn.init.orthogonal_",
    args: [gain],
    create: (a) => (t, rng) => orthogonal_(t, rng, num(a, "gain")),
  },
];

/** Every initialiser: name, PyTorch counterpart and arguments (what `catalog` prints). */
export const initCatalog: readonly InitSpec[] = catalogSpecs(defs);

/** Every initialiser name, in catalogue order. */
export const initNames: readonly string[] = defs.map((d) => d.name);

/**
 * The initialiser `name` with `args` (PyTorch's argument names; omitted ones take their
 * defaults). Throws a UsageError for an unknown name or argument, a missing required one,
 * or a value of the wrong type.
 * @example
 * ```ts
 * import { initFromName, Parameter, Rng } from "../../mod.ts";
 * const w = new Parameter([2, 3], new Float32Array(6));
 * initFromName("constant", { val: 0.5 })(w, new Rng(0));
 * console.log(w.init); // Float32Array [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function initFromName(name: string, args: Args = {}): Initializer {
  return buildFromCatalog("init", defs, name, args);
}
