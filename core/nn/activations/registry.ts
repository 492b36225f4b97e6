/**
 * Every activation by name (kebab-case, as `--activation` takes it), with its arguments in
 * PyTorch's names and their defaults: the catalogue as data, and
 * {@link activationFromName}, which builds a layer from a name and arguments. The
 * elementwise activations come from their records (`core/activations/`); the ones listed
 * here are composed (PReLU, GELU's two kernels under one name, ReLU6), fused into linear
 * layers (ReLU, Sigmoid, Tanh), not elementwise (the softmaxes) or change the width (CReLU
 * doubles it, Maxout divides it; SReLU's parameters are per channel), which
 * `core/nn/width_activations.ts` accounts for in MLPs and layer stacks.
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
import { CReLU } from "./crelu.ts";
import { GELU } from "./gated.ts";
import { Maxout } from "./maxout.ts";
import { PReLU, ReLU6 } from "./rectifiers.ts";
import { LogSoftmax, Softmax } from "./softmax.ts";
import { SReLU } from "./srelu.ts";

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
  // Not in torch.nn; each is checked against torch code of its formula (layers_golden.json).
  none("crelu", "torch.cat((F.relu(x), F.relu(-x)), 1)", () => new CReLU()),
  {
    name: "srelu",
    pytorch: "S-shaped ReLU (Jin et al., 2016), from torch.where of its pieces",
    args: [
      arg("num_parameters", 1, "parameter sets: 1, or one per channel (dim 1 of the input)"),
      arg("t_left", 0, "initial left threshold"),
      arg("a_left", 0.2, "initial left slope"),
      arg("t_right", 1, "initial right threshold (≥ t_left)"),
      arg("a_right", 1, "initial right slope"),
    ],
    create: (a) =>
      new SReLU({
        numParameters: num(a, "num_parameters"),
        tLeft: num(a, "t_left"),
        aLeft: num(a, "a_left"),
        tRight: num(a, "t_right"),
        aRight: num(a, "a_right"),
      }),
  },
  {
    name: "maxout",
    pytorch: "x.unflatten(1, (C // pieces, pieces)).amax(2)",
    args: [arg("pieces", 2, "channels per group (k); the group maximum is one output")],
    create: (a) => new Maxout({ pieces: num(a, "pieces") }),
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
