/**
 * Every activation by name (kebab-case, as `--activation` takes it), with its arguments in
 * PyTorch's names and their defaults: the catalogue as data, and
 * {@link activationFromName}, which builds a layer from a name and arguments. The
 * elementwise activations come from their records (`core/activations/`); the ones listed
 * here are composed (PReLU, GELU's two kernels under one name, ReLU6), fused into linear
 * layers (ReLU, Sigmoid, Tanh) or not elementwise (the softmaxes).
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
} from "../../catalog.ts";
import { activationKernels } from "../../activations/mod.ts";
import { type Activation, ReLU, Sigmoid, Tanh } from "../activation.ts";
import { ElementwiseActivation } from "./elementwise.ts";
import type { GeluApproximate } from "./functional.ts";
import { GELU } from "./gated.ts";
import { PReLU, ReLU6 } from "./rectifiers.ts";
import { LogSoftmax, Softmax } from "./softmax.ts";

/** One activation of the catalogue. */
export type ActivationSpec = CatalogSpec;

interface ActivationDef extends ActivationSpec {
  readonly create: (a: Args) => Activation;
}

const dim = arg(
  "dim",
  -1,
  "the dimension that sums to 1 (PyTorch's None means the last for [N, C])",
);
const none = (name: string, pytorch: string, create: () => Activation): ActivationDef => ({
  name,
  pytorch,
  args: [],
  create,
});

const defs: readonly ActivationDef[] = [
  none("relu", "nn.ReLU", () => new ReLU()),
  // Every activation record with a catalogue entry of its own, in the records' order.
  ...activationKernels.flatMap((k) =>
    k.entry
      ? [{ ...k.entry, create: (a: Args) => new ElementwiseActivation(k, ...k.entry!.scalars(a)) }]
      : []
  ),
  {
    name: "prelu",
    pytorch: "nn.PReLU",
    args: [
      arg("num_parameters", 1, "learned slopes: 1, or one per channel (dim 1 of the input)"),
      arg("init", 0.25, "initial slope"),
    ],
    create: (a) => new PReLU({ numParameters: num(a, "num_parameters"), init: num(a, "init") }),
  },
  {
    name: "gelu",
    pytorch: "nn.GELU",
    args: [arg("approximate", "none", "none (exact x·Φ(x)) or tanh")],
    create: (a) => new GELU({ approximate: a.approximate as GeluApproximate }),
  },
  none("gelu-tanh", "nn.GELU(approximate='tanh')", () => new GELU({ approximate: "tanh" })),
  none("relu6", "nn.ReLU6", () => new ReLU6()),
  none("sigmoid", "nn.Sigmoid", () => new Sigmoid()),
  none("tanh", "nn.Tanh", () => new Tanh()),
  {
    name: "softmax",
    pytorch: "nn.Softmax",
    args: [dim],
    create: (a) => new Softmax({ dim: num(a, "dim") }),
  },
  {
    name: "log-softmax",
    pytorch: "nn.LogSoftmax",
    args: [dim],
    create: (a) => new LogSoftmax({ dim: num(a, "dim") }),
  },
];

/** Every activation: name, PyTorch counterpart and arguments (what `catalog` prints). */
export const activationCatalog: readonly ActivationSpec[] = catalogSpecs(defs);

/** Every activation name, in catalogue order. */
export const activationNames: readonly string[] = defs.map((d) => d.name);

/**
 * The activation `name` with `args` (PyTorch's argument names; omitted ones take their
 * defaults). Throws a UsageError for an unknown name or argument, or a value of the wrong
 * type; the layer checks the values themselves.
 * @example
 * ```ts
 * import { activationFromName, createCpuBackend, tensor } from "../../../mod.ts";
 * const act = activationFromName("leaky-relu", { negative_slope: 0.2 });
 * const x = tensor(createCpuBackend(), [-1, 1], [2]);
 * console.log(await act.forward(x).toArray()); // ≈ [-0.2, 1]
 * ```
 */
export function activationFromName(name: string, args: Args = {}): Activation {
  return buildFromCatalog("activation", defs, name, args);
}
