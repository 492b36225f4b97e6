/**
 * Layer stacks written as text, the spec form of `--model`: layers separated by commas,
 * each a name with optional arguments in parentheses, positional first, then `key=value`:
 *
 *     conv(6,5,padding=2),relu,maxpool(2),conv(16,5),relu,maxpool(2),flatten,
 *     linear(120),relu,linear(84),relu,linear(10)
 *
 * Layers: `conv(out, kernel, stride=1, padding=0, dilation=1, groups=1, bias=true)`,
 * `maxpool(kernel, stride=kernel, padding=0)`, `avgpool(kernel, stride=kernel, padding=0)`,
 * `gap` (adaptive average pool to 1×1), `bn` (BatchNorm1d or 2d by the input's rank),
 * `dropout(p=0.5)`, `dropout2d(p=0.5)`, `flatten`, `linear(out, bias=true)`,
 * `block(out, stride=1)` (a residual BasicBlock), `maxout(units, pieces, kernel=1, padding=0)`
 * (a linear layer or convolution to units·pieces, then the maximum of each group of pieces),
 * `act` (the run's `--activation`) and any activation name. Input channels and features follow from the data's sample shape; the
 * stack becomes an `nn.Sequential`, so parameters are named `0.weight`, `1.running_mean`, ….
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { Rng } from "../rng.ts";
import { activationNames } from "./activations/registry.ts";
import { BasicBlock } from "./basic_block.ts";
import { BatchNorm1d, BatchNorm2d } from "./batch_norm.ts";
import { Conv2d } from "./conv2d.ts";
import { Dropout, Dropout2d } from "./dropout.ts";
import { Flatten } from "./flatten.ts";
import { Linear } from "./linear.ts";
import type { Module } from "./module.ts";
import { requireWithinCap } from "./parameter_cap.ts";
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from "./pooling.ts";
import { Sequential } from "./sequential.ts";
import { activationForShape, maxoutLayer } from "./width_activations.ts";

type Value = number | boolean;

/** One built layer of a stack: its text (`conv(6,5)`) and per-sample output shape. */
export interface StackLayer {
  readonly text: string;
  readonly shape: readonly number[];
}

/** One layer of a stack: its name, positional and named arguments. */
interface LayerText {
  readonly name: string;
  readonly args: readonly Value[];
  readonly named: Readonly<Record<string, Value>>;
}

const fail = (message: string): never => {
  throw new UsageError("model", message);
};

/** Splits `text` at the commas outside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, text.slice(start)].map((s) => s.trim());
}

function parseValue(layer: string, text: string): Value {
  if (text === "true" || text === "false") return text === "true";
  const n = Number(text);
  if (text === "" || !Number.isFinite(n)) fail(`${layer}: "${text}" is not a number`);
  return n;
}

function parseLayer(text: string): LayerText {
  const m = /^([a-z0-9-]+)(?:\((.*)\))?$/.exec(text);
  if (!m) return fail(`cannot read layer "${text}" (expected name or name(args))`);
  const [, name, inner] = m;
  const args: Value[] = [];
  const named: Record<string, Value> = {};
  for (const part of inner ? inner.split(",").map((s) => s.trim()) : []) {
    const eq = part.indexOf("=");
    if (eq < 0) {
      if (Object.keys(named).length) fail(`${name}: positional "${part}" after a key=value`);
      args.push(parseValue(name, part));
    } else {
      named[part.slice(0, eq).trim()] = parseValue(name, part.slice(eq + 1).trim());
    }
  }
  return { name, args, named };
}

/** Reads a layer's arguments by position or name, with defaults; rejects unknown ones. */
function argsOf(layer: LayerText, names: readonly string[], defaults: Record<string, Value>) {
  if (layer.args.length > names.length) {
    fail(`${layer.name} takes at most ${names.length} positional arguments (${names.join(", ")})`);
  }
  for (const key of Object.keys(layer.named)) {
    if (!names.includes(key)) fail(`${layer.name} has no argument "${key}" (${names.join(", ")})`);
  }
  const out: Record<string, Value> = {};
  names.forEach((n, i) => {
    const v = layer.args[i] ?? layer.named[n] ?? defaults[n];
    if (v === undefined) fail(`${layer.name} needs "${n}"`);
    out[n] = v;
  });
  return out;
}

const int = (layer: string, name: string, v: Value, min: number): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    fail(`${layer}: ${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return v as number;
};

/** What the stack turns a sample of `shape` into, and the module that does it. */
interface Built {
  readonly module: Module;
  readonly shape: readonly number[];
}

const spatial = (layer: string, shape: readonly number[]): [number, number, number] => {
  if (shape.length !== 3) fail(`${layer} needs [C, H, W] samples, got [${shape}]`);
  return shape as [number, number, number];
};

const pooled = (size: number, k: number, s: number, p: number) =>
  Math.floor((size + 2 * p - k) / s) + 1;

function buildLayer(
  layer: LayerText,
  shape: readonly number[],
  activation: string,
  activationArgs: Record<string, unknown>,
  rng: Rng,
): Built {
  const { name } = layer;
  switch (name) {
    case "conv": {
      const a = argsOf(
        layer,
        ["out", "kernel", "stride", "padding", "dilation", "groups", "bias"],
        {
          stride: 1,
          padding: 0,
          dilation: 1,
          groups: 1,
          bias: true,
        },
      );
      const [c, h, w] = spatial(name, shape);
      const out = int(name, "out", a.out, 1), k = int(name, "kernel", a.kernel, 1);
      const s = int(name, "stride", a.stride, 1), p = int(name, "padding", a.padding, 0);
      const d = int(name, "dilation", a.dilation, 1), g = int(name, "groups", a.groups, 1);
      requireWithinCap((c / g) * out * k * k + out, `conv(${out},${k}) on ${c} channels`);
      const module = new Conv2d(c, out, k, rng, {
        stride: s,
        padding: p,
        dilation: d,
        groups: g,
        bias: a.bias === true,
      });
      const span = d * (k - 1) + 1;
      return { module, shape: [out, pooled(h, span, s, p), pooled(w, span, s, p)] };
    }
    case "maxpool":
    case "avgpool": {
      // stride 0 stands for PyTorch's None: the kernel size.
      const a = argsOf(layer, ["kernel", "stride", "padding"], { stride: 0, padding: 0 });
      const [c, h, w] = spatial(name, shape);
      const k = int(name, "kernel", a.kernel, 1);
      const s = int(name, "stride", a.stride, 0) || k;
      const p = int(name, "padding", a.padding, 0);
      const options = { stride: s, padding: p };
      const module = name === "maxpool" ? new MaxPool2d(k, options) : new AvgPool2d(k, options);
      return { module, shape: [c, pooled(h, k, s, p), pooled(w, k, s, p)] };
    }
    case "gap": {
      argsOf(layer, [], {});
      const [c] = spatial(name, shape);
      return { module: new AdaptiveAvgPool2d(1), shape: [c, 1, 1] };
    }
    case "bn": {
      argsOf(layer, [], {});
      const module = shape.length === 3 ? new BatchNorm2d(shape[0]) : new BatchNorm1d(shape[0]);
      return { module, shape };
    }
    case "dropout":
    case "dropout2d": {
      const { p } = argsOf(layer, ["p"], { p: 0.5 });
      if (name === "dropout2d") spatial(name, shape);
      const Kind = name === "dropout" ? Dropout : Dropout2d;
      return { module: new Kind(rng, { p: p as number }), shape };
    }
    case "flatten":
      argsOf(layer, [], {});
      return { module: new Flatten(), shape: [shape.reduce((x, y) => x * y, 1)] };
    case "linear": {
      const a = argsOf(layer, ["out", "bias"], { bias: true });
      if (shape.length !== 1) fail(`linear needs flat samples, got [${shape}]: add flatten`);
      const out = int(name, "out", a.out, 1);
      requireWithinCap(shape[0] * out + out, `linear(${out}) on ${shape[0]} inputs`);
      return { module: new Linear(shape[0], out, rng, { bias: a.bias === true }), shape: [out] };
    }
    case "block": {
      const a = argsOf(layer, ["out", "stride"], { stride: 1 });
      const [c, h, w] = spatial(name, shape);
      const out = int(name, "out", a.out, 1), s = int(name, "stride", a.stride, 1);
      return {
        module: new BasicBlock(c, out, rng, { stride: s }),
        shape: [out, pooled(h, 3, s, 1), pooled(w, 3, s, 1)],
      };
    }
    case "maxout": {
      const a = argsOf(layer, ["units", "pieces", "kernel", "padding"], { kernel: 1, padding: 0 });
      const units = int(name, "units", a.units, 1), pieces = int(name, "pieces", a.pieces, 1);
      const kernel = int(name, "kernel", a.kernel, 1), padding = int(name, "padding", a.padding, 0);
      const fanIn = shape.length === 3 ? shape[0] * kernel * kernel : shape[0];
      requireWithinCap((fanIn + 1) * units * pieces, `maxout(${units},${pieces}) on [${shape}]`);
      return maxoutLayer({ units, pieces, kernel, padding }, shape, rng);
    }
    default: {
      argsOf(layer, [], {});
      const act = name === "act" ? activation : name;
      if (!activationNames.includes(act)) {
        fail(`unknown layer "${name}" (a layer, act, or one of ${activationNames.join(", ")})`);
      }
      return activationForShape(act, name === "act" ? activationArgs : {}, shape);
    }
  }
}

/**
 * Builds the stack `spec` for samples of `sampleShape`; `act` layers are `activation` with
 * `activationArgs`. Returns the model and the shape of one output.
 *
 * @example
 * ```ts
 * import { buildLayerStack } from "./layer_stack.ts";
 * import { Rng } from "../rng.ts";
 * const { shape } = buildLayerStack("conv(4,3,padding=1),act,gap,flatten,linear(10)", [1, 8, 8], "relu", {}, new Rng(0));
 * console.log(shape); // [10]
 * ```
 */
export function buildLayerStack(
  spec: string,
  sampleShape: readonly number[],
  activation: string,
  activationArgs: Record<string, unknown>,
  rng: Rng,
): { model: Sequential; shape: readonly number[]; layers: readonly StackLayer[] } {
  const modules: Module[] = [];
  const layers: StackLayer[] = [];
  let shape = sampleShape;
  for (const text of splitTop(spec)) {
    const built = buildLayer(parseLayer(text), shape, activation, activationArgs, rng);
    if (built.shape.some((d) => !(d >= 1))) {
      fail(`layer ${modules.length} (${text}) leaves no output for input [${shape}]`);
    }
    modules.push(built.module);
    shape = built.shape;
    layers.push({ text, shape });
  }
  return { model: new Sequential(...modules), shape, layers };
}
