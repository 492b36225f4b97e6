/**
 * Every activation by name (kebab-case, as `--activation` takes it), with its arguments in
 * PyTorch's names and their defaults: the catalogue as data, and
 * {@link activationFromName}, which builds a layer from a name and arguments.
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
import { type Activation, ReLU, Sigmoid, Tanh } from "../activation.ts";
import { CELU, ELU, SELU } from "./exponential.ts";
import type { GeluApproximate } from "./functional.ts";
import { GELU, Mish, SiLU } from "./gated.ts";
import { Hardsigmoid, Hardswish, Hardtanh } from "./hard.ts";
import { LeakyReLU, PReLU, ReLU6 } from "./rectifiers.ts";
import { Sign } from "./sign.ts";
import { Sin } from "./sin.ts";
import { LogSigmoid, Softplus, Softsign } from "./soft.ts";
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
  {
    name: "leaky-relu",
    pytorch: "nn.LeakyReLU",
    args: [arg("negative_slope", 0.01, "slope for x ≤ 0")],
    create: (a) => new LeakyReLU({ negativeSlope: num(a, "negative_slope") }),
  },
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
    name: "elu",
    pytorch: "nn.ELU",
    args: [arg("alpha", 1, "scale of the negative branch α·(eˣ − 1)")],
    create: (a) => new ELU({ alpha: num(a, "alpha") }),
  },
  none("selu", "nn.SELU", () => new SELU()),
  {
    name: "celu",
    pytorch: "nn.CELU",
    args: [arg("alpha", 1, "α of the negative branch α·(e^(x/α) − 1), nonzero")],
    create: (a) => new CELU({ alpha: num(a, "alpha") }),
  },
  {
    name: "gelu",
    pytorch: "nn.GELU",
    args: [arg("approximate", "none", "none (exact x·Φ(x)) or tanh")],
    create: (a) => new GELU({ approximate: a.approximate as GeluApproximate }),
  },
  none("gelu-tanh", "nn.GELU(approximate='tanh')", () => new GELU({ approximate: "tanh" })),
  none("silu", "nn.SiLU", () => new SiLU()),
  none("mish", "nn.Mish", () => new Mish()),
  none("hardswish", "nn.Hardswish", () => new Hardswish()),
  none("hardsigmoid", "nn.Hardsigmoid", () => new Hardsigmoid()),
  {
    name: "hardtanh",
    pytorch: "nn.Hardtanh",
    args: [
      arg("min_val", -1, "lower end of the linear range"),
      arg("max_val", 1, "upper end of the linear range (above min_val)"),
    ],
    create: (a) => new Hardtanh({ minVal: num(a, "min_val"), maxVal: num(a, "max_val") }),
  },
  none("relu6", "nn.ReLU6", () => new ReLU6()),
  none("sigmoid", "nn.Sigmoid", () => new Sigmoid()),
  none("log-sigmoid", "nn.LogSigmoid", () => new LogSigmoid()),
  none("tanh", "nn.Tanh", () => new Tanh()),
  none("softsign", "nn.Softsign", () => new Softsign()),
  {
    name: "softplus",
    pytorch: "nn.Softplus",
    args: [
      arg("beta", 1, "β of log(1 + e^(β·x))/β, nonzero"),
      arg("threshold", 20, "above β·x = threshold the output is x"),
    ],
    create: (a) => new Softplus({ beta: num(a, "beta"), threshold: num(a, "threshold") }),
  },
  none("sin", "torch.sin", () => new Sin()),
  none("sign", "torch.sign (straight-through gradient where |x| ≤ 1)", () => new Sign()),
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
