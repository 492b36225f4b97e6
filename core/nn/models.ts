/**
 * Models by `--model` name: an MLP from its layer sizes (`784-128-10`), the named
 * convolutional networks (`lenet5`, `allcnn-c`, `resnet20`), or a layer stack in the spec
 * form of `layer_stack.ts`; built for the data they will see, with optional weight
 * initialiser and MLP dropout.
 *
 * @module
 */

import { parseArgsJson } from "../catalog.ts";
import { UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { initFromName } from "./init_registry.ts";
import { buildLayerStack, type StackLayer } from "./layer_stack.ts";
import { parseLayerSizes } from "./mlp.ts";
import { requireMlpWithinCap } from "./parameter_cap.ts";
import type { Module } from "./module.ts";
import { widthBefore } from "./width_activations.ts";

/** What a model must fit: one sample's shape (e.g. `[1, 28, 28]`) and the class count. */
export interface DataShape {
  /** One sample's shape. */
  readonly sampleShape: readonly number[];
  /** Number of classes. */
  readonly classes: number;
  /** Present for regression data: targets per sample (then equal to `classes`). */
  readonly targets?: number;
}

/** What the model's outputs must match: `3 classes`, or `1 targets` for regression data. */
const outputsOf = (data: DataShape) =>
  data.targets ? `${data.targets} targets` : `${data.classes} classes`;

/** What names a model: `--model`, `--activation`, `--init` (with their JSON args), `--dropout`. */
export interface ModelSpec {
  readonly model: string;
  readonly activation: string;
  readonly activationArgs: string;
  /** `default` (PyTorch's per-layer init) or an initialiser for every weight matrix/kernel. */
  readonly init: string;
  readonly initArgs: string;
  /** Dropout probability after each hidden activation of an MLP (0: none). */
  readonly dropout: number;
}

/** A model and the shape of one sample it takes. */
export interface BuiltModel {
  readonly model: Module;
  /** Per-sample input shape: `[features]` for an MLP, the data's for the others. */
  readonly inputShape: readonly number[];
  /** The layers of its `nn.Sequential`, in order, as `gradmesh summary` lists them. */
  readonly layers: readonly StackLayer[];
}

const resnetStage = (out: number, stride: number) =>
  `block(${out},stride=${stride}),block(${out}),block(${out})`;

/**
 * The named models as layer stacks for `classes` outputs and samples of `[C, H, W]`:
 * LeNet-5 (ReLU and max pooling, padded to 28×28 like the MNIST variant), All-CNN-C
 * (Springenberg et al. 2015: strided convolutions instead of pooling, dropout 0.2 on the
 * input and 0.5 after each strided layer) and the CIFAR ResNet-20 of He et al. (2016),
 * with 1×1 projection shortcuts.
 */
export const namedModels: Readonly<
  Record<string, (classes: number, sample: readonly number[]) => string>
> = {
  lenet5: (classes, [, h]) =>
    `conv(6,5,padding=${h < 28 ? (32 - h) / 2 | 0 : h === 28 ? 2 : 0}),act,maxpool(2),` +
    `conv(16,5),act,maxpool(2),flatten,linear(120),act,linear(84),act,linear(${classes})`,
  "allcnn-c": (classes) =>
    "dropout(0.2),conv(96,3,padding=1),act,conv(96,3,padding=1),act," +
    "conv(96,3,stride=2,padding=1),act,dropout(0.5),conv(192,3,padding=1),act," +
    "conv(192,3,padding=1),act,conv(192,3,stride=2,padding=1),act,dropout(0.5)," +
    `conv(192,3),act,conv(192,1),act,conv(${classes},1),gap,flatten`,
  resnet20: (classes) =>
    "conv(16,3,padding=1,bias=false),bn,relu," +
    `${resnetStage(16, 1)},${resnetStage(32, 2)},${resnetStage(64, 2)},` +
    `gap,flatten,linear(${classes})`,
};

function mlpStack(
  spec: ModelSpec,
  activationArgs: Record<string, unknown>,
  data: DataShape | undefined,
): {
  stack: string;
  inputShape: number[];
} {
  const sizes = parseLayerSizes(spec.model);
  requireMlpWithinCap(sizes);
  if (data) {
    const features = data.sampleShape.reduce((a, b) => a * b, 1);
    if (sizes[0] !== features) {
      throw new UsageError(
        "model",
        `input size ${sizes[0]} does not match the data's ${features} values per sample`,
      );
    }
    if (sizes[sizes.length - 1] !== data.classes) {
      throw new UsageError(
        "model",
        `output size ${sizes[sizes.length - 1]} does not match the data's ${outputsOf(data)}`,
      );
    }
  }
  const hidden = (n: number) =>
    `linear(${widthBefore(spec.activation, activationArgs, n)}),act${
      spec.dropout > 0 ? `,dropout(${spec.dropout})` : ""
    }`;
  const stack = [...sizes.slice(1, -1).map(hidden), `linear(${sizes[sizes.length - 1]})`].join(",");
  return { stack, inputShape: [sizes[0]] };
}

/**
 * Builds the model `spec` names, initialised from `rng`. An MLP needs no `data` (a
 * UsageError naming `--model` when given data it does not fit); the others take their
 * input shape and class count from it.
 *
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { Rng } from "../rng.ts";
 * const spec = {
 *   model: "784-128-10", activation: "relu", activationArgs: "", init: "default", initArgs: "", dropout: 0,
 * };
 * const { inputShape } = buildModel(spec, new Rng(0));
 * console.log(inputShape); // [784]
 * ```
 */
export function buildModel(spec: ModelSpec, rng: Rng, data?: DataShape): BuiltModel {
  const activationArgs = parseArgsJson("activationArgs", spec.activationArgs);
  let stack: string, inputShape: readonly number[];
  // Sizes joined by dashes, as opposed to a named model or a stack (commas, parentheses).
  const isMlp = !(spec.model in namedModels) && /^[^,()]*-[^,()]*$/.test(spec.model) &&
    !/^[a-z]/.test(spec.model);
  if (isMlp) {
    ({ stack, inputShape } = mlpStack(spec, activationArgs, data));
  } else {
    if (!data) throw new UsageError("model", `${spec.model} needs the data's sample shape`);
    if (spec.dropout > 0) {
      throw new UsageError("dropout", `applies to MLPs; put dropout(p) in the layer stack`);
    }
    inputShape = data.sampleShape;
    const named = namedModels[spec.model] as typeof namedModels[string] | undefined;
    if (named && inputShape.length !== 3) {
      throw new UsageError("model", `${spec.model} needs [C, H, W] samples, got [${inputShape}]`);
    }
    stack = named ? named(data.classes, inputShape) : spec.model;
  }
  const { model, shape, layers } = buildLayerStack(
    stack,
    inputShape,
    spec.activation,
    activationArgs,
    rng,
  );
  if (data && (shape.length !== 1 || shape[0] !== data.classes)) {
    throw new UsageError(
      "model",
      `gives outputs of [${shape}] per sample, the data has ${outputsOf(data)}`,
    );
  }
  if (spec.init !== "default") {
    const init = initFromName(spec.init, parseArgsJson("initArgs", spec.initArgs));
    for (const [name, p] of model.namedParameters()) {
      if (name.endsWith("weight") && p.shape.length >= 2) init(p, rng);
    }
  }
  return { model, inputShape, layers };
}
