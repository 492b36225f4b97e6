/**
 * A model's summary, as torchinfo prints one: each layer of its `nn.Sequential` with its
 * type, output shape per sample and parameter count, and the totals.
 *
 * @module
 */

import { ElementwiseActivation } from "./activations/elementwise.ts";
import type { BuiltModel } from "./models.ts";
import type { Module } from "./module.ts";

/** One layer's row. */
export interface LayerSummary {
  /** Its index in the `nn.Sequential` (the prefix of its parameter names). */
  readonly index: number;
  /** PyTorch's class name: `Conv2d`, `BatchNorm2d`, `ReLU`, `BasicBlock`, …. */
  readonly type: string;
  /** The layer as `--model` writes it: `conv(6,5,padding=2)`. */
  readonly spec: string;
  /** Output shape of one sample. */
  readonly output: readonly number[];
  /** Learnable values in the layer and its children. */
  readonly params: number;
}

/** The whole model: its layers and totals. */
export interface ModelSummary {
  /** Input shape of one sample. */
  readonly input: readonly number[];
  readonly layers: readonly LayerSummary[];
  /** Learnable values in all (PyTorch's `sum(p.numel() for p in model.parameters())`). */
  readonly params: number;
  /** Values of buffers (batch norm running statistics), not learned. */
  readonly bufferValues: number;
}

/**
 * The summary of `built`.
 *
 * @example
 * ```ts
 * import { buildModel } from "./models.ts";
 * import { summarizeModel } from "./model_summary.ts";
 * import { Rng } from "../rng.ts";
 * const spec = {
 *   model: "784-128-10", activation: "relu", activationArgs: "", init: "default", initArgs: "", dropout: 0,
 * };
 * console.log(summarizeModel(buildModel(spec, new Rng(0))).params); // 101770
 * ```
 */
export function summarizeModel(built: BuiltModel): ModelSummary {
  const children = new Map(built.model.namedModules().filter(([name]) => /^\d+$/.test(name)));
  const layers = built.layers.map((layer, index): LayerSummary => {
    const module = children.get(String(index))!;
    return {
      index,
      type: typeName(module),
      spec: layer.text,
      output: layer.shape,
      params: count(module.parameters()),
    };
  });
  return {
    input: built.inputShape,
    layers,
    params: count(built.model.parameters()),
    bufferValues: count(built.model.namedBuffers().map(([, b]) => b)),
  };
}

function count(tensors: readonly { readonly shape: readonly number[] }[]): number {
  return tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** PyTorch's class name of `module` (an elementwise activation's from its catalogue entry). */
function typeName(module: Module): string {
  if (module instanceof ElementwiseActivation && module.kernel.entry) {
    return module.kernel.entry.pytorch.replace(/^nn\./, "").replace(/\(.*$/, "");
  }
  return module.constructor.name;
}
