/**
 * Figures of the functions themselves, for `report --activations` and `report --losses`:
 * each activation with its derivative, each regression loss against the prediction for a
 * fixed target with its derivative, one chart panel per function in a grid. Values and
 * derivatives come from the library's own layers and loss functions on the CPU reference
 * backend (the derivative is the gradient autograd backpropagates, so kinks show the
 * conventions training uses, and `sign` its straight-through gradient).
 *
 * @module
 */

import { backward } from "../core/autograd.ts";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import type { Backend } from "../core/backend.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { UsageError } from "../core/errors.ts";
import { mseLoss } from "../core/loss/mse.ts";
import {
  huberLoss,
  l1Loss,
  logCoshLoss,
  quantileLoss,
  smoothL1Loss,
} from "../core/loss/regression.ts";
import { activationFromName, activationNames } from "../core/nn/activations/registry.ts";
import { bindParameters } from "../core/nn/flat_parameters.ts";
import { sum } from "../core/ops.ts";
import type { Module } from "../core/nn/module.ts";
import { type Tensor, tensor } from "../core/tensor.ts";
import type { FlagTable, FlagValues } from "./flags.ts";
import { PALETTE } from "./metrics_panels.ts";
import { type ChartPanel, lineChartSvg } from "./svg_chart.ts";

/** The flags of `report` that draw these figures. */
export const functionFigureFlags: FlagTable = {
  activations: {
    type: "string",
    group: "model",
    help: "draw these activations (comma-separated names, `all`) and their derivatives",
  },
  losses: {
    type: "string",
    group: "optimization",
    help: `draw these losses (${
      Object.keys(lossCurves()).join(", ")
    }, or all) against the prediction`,
  },
  target: { type: "number", group: "optimization", default: 0, help: "--losses: the target y" },
  delta: {
    type: "number",
    group: "optimization",
    default: 1,
    min: 0,
    exclusiveMin: true,
    help: "--losses: huber's δ",
  },
  beta: {
    type: "number",
    group: "optimization",
    default: 1,
    min: 0,
    help: "--losses: smooth-l1's β",
  },
  quantile: {
    type: "number",
    group: "optimization",
    default: 0.5,
    min: 0,
    exclusiveMin: true,
    max: 1,
    help: "--losses: the quantile loss's τ, in (0, 1)",
  },
  range: {
    type: "string",
    group: "output",
    help: "x range LO,HI (default -4,4 for activations, target ± 4 for losses)",
  },
};

/** The loss arguments of `--losses` figures. */
export interface LossCurveArgs {
  delta: number;
  beta: number;
  quantile: number;
}

/** Each regression loss by catalogue name, per element (reduction "none"). */
function lossCurves(): Record<string, (x: Tensor, y: Tensor, a: LossCurveArgs) => Tensor> {
  return {
    mse: (x, y) => mseLoss(x, y, "none"),
    l1: (x, y) => l1Loss(x, y, "none"),
    huber: (x, y, a) => huberLoss(x, y, { delta: a.delta, reduction: "none" }),
    "smooth-l1": (x, y, a) => smoothL1Loss(x, y, { beta: a.beta, reduction: "none" }),
    "log-cosh": (x, y) => logCoshLoss(x, y, "none"),
    quantile: (x, y, a) => quantileLoss(x, y, { q: a.quantile, reduction: "none" }),
  };
}

/** Points drawn per curve: odd, so that the middle of the range is one of them. */
const POINTS = 201;

/** A function of x on a grid: its values and derivatives. */
export interface SampledCurve {
  x: Float64Array;
  y: Float32Array;
  dy: Float32Array;
}

/**
 * `f` and its backpropagated derivative at `POINTS` evenly spaced x in `[lo, hi]`, on the
 * CPU reference backend. `f` maps a `[n]` tensor elementwise.
 */
export async function sampleCurve(
  f: (x: Tensor) => Tensor,
  [lo, hi]: readonly [number, number],
  b: Backend = createCpuBackend(),
): Promise<SampledCurve> {
  const xs = Float64Array.from({ length: POINTS }, (_, i) => lo + (hi - lo) * i / (POINTS - 1));
  const x = tensor(b, Float32Array.from(xs), [POINTS], true);
  const y = f(x);
  backward(sum(y));
  return { x: xs, y: await y.toArray(), dy: await x.grad!.toArray() };
}

/** Names from a comma-separated flag value (`all`: every one of `known`). */
function namesOf(flag: string, text: string, known: readonly string[]): string[] {
  const names = text === "all" ? [...known] : text.split(",").map((s) => s.trim());
  const unknown = names.find((n) => !known.includes(n));
  if (names.length === 0 || unknown !== undefined) {
    throw new UsageError(flag, `expected names among ${known.join(", ")}, got "${unknown ?? ""}"`);
  }
  return names;
}

/** `--range LO,HI`, or `fallback`. */
export function parseRange(
  text: string | undefined,
  fallback: [number, number],
): [number, number] {
  if (text === undefined) return fallback;
  const parts = text.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1])) {
    throw new UsageError("--range", `expected LO,HI with LO < HI, got "${text}"`);
  }
  return [parts[0], parts[1]];
}

function panel(title: string, xLabel: string, yLabel: string, c: SampledCurve): ChartPanel {
  const points = (v: Float32Array) => Array.from(c.x, (x, i) => [x, v[i]] as const);
  return {
    title,
    xLabel,
    yLabel,
    series: [
      { label: title, color: PALETTE[0], points: points(c.y) },
      { label: `${title}: derivative`, color: PALETTE[3], points: points(c.dy), dashed: true },
    ],
  };
}

const COLUMNS = 3;

/** `panels` up to three to a row under `title`, with the key of each panel's two curves. */
function gridSvg(panels: ChartPanel[], title: string, curve: string, derivative: string) {
  const columns = Math.min(COLUMNS, panels.length);
  return lineChartSvg(panels, {
    title,
    columns,
    width: 380 * columns,
    panelHeight: 260,
    legend: [
      { label: curve, color: PALETTE[0] },
      { label: derivative, color: PALETTE[3], dashed: true },
    ],
  });
}

/**
 * Whether `act` (its parameters bound to `b`) is elementwise: its outputs for a few values
 * keep their shape and stay the same when the values come as a column instead.
 */
async function isElementwise(act: Module, b: Backend): Promise<boolean> {
  const probe = [-1.5, 0.5, 2];
  try {
    const row = act.forward(tensor(b, probe, [3]));
    const column = act.forward(tensor(b, probe, [3, 1]));
    const [r, c] = [await row.toArray(), await column.toArray()];
    return row.shape.join() === "3" && column.shape.join() === "3,1" &&
      r.every((v, i) => v === c[i]);
  } catch {
    return false;
  }
}

/**
 * The SVG of the activations `list` names (comma-separated, or `all`), each with its
 * derivative over `range`. A name that is not elementwise (softmax, CReLU, Maxout) is a
 * UsageError naming `--activations`.
 */
export async function activationFigure(
  list: string,
  range: [number, number],
): Promise<{ svg: string; count: number }> {
  const panels: ChartPanel[] = [];
  for (const name of namesOf("--activations", list, activationNames)) {
    const b = createCpuBackend();
    const act = activationFromName(name);
    bindParameters(b, act.namedParameters());
    if (!await isElementwise(act, b)) {
      if (list === "all") continue;
      throw new UsageError(
        "--activations",
        `${name} is not elementwise (its output mixes or regroups its inputs): no curve to draw`,
      );
    }
    panels.push(panel(name, "x", "f(x)", await sampleCurve((x) => act.forward(x), range, b)));
  }
  const title = "Activations (solid) and their derivatives (dashed)";
  const svg = gridSvg(panels, title, "f(x)", "f′(x), as backpropagated");
  return { svg, count: panels.length };
}

/**
 * The SVG of the losses `list` names (comma-separated, or `all`) against the prediction
 * over `range`, for the target `target`, each with its derivative.
 */
export async function lossFigure(
  list: string,
  target: number,
  args: LossCurveArgs,
  range: [number, number],
): Promise<string> {
  const curves = lossCurves();
  const names = namesOf("--losses", list, Object.keys(curves));
  const label: Record<string, string> = {
    huber: `huber (δ = ${args.delta})`,
    "smooth-l1": `smooth-l1 (β = ${args.beta})`,
    quantile: `quantile (τ = ${args.quantile})`,
  };
  const panels: ChartPanel[] = [];
  for (const name of names) {
    const f = (x: Tensor) =>
      curves[name](x, tensor(x.backend, new Float32Array(x.size).fill(target), x.shape), args);
    const c = await sampleCurve(f, range);
    panels.push(panel(label[name] ?? name, "prediction ŷ", "loss", c));
  }
  const title = `Losses against the prediction for the target y = ${target}`;
  return gridSvg(panels, title, "loss", "∂loss/∂ŷ");
}

/** Flags that only one of the two figures takes. */
const LOSS_ONLY = ["target", "delta", "beta", "quantile"];

/**
 * `report --activations …` or `report --losses …` with the parsed flag `values`: writes
 * the figure to `--out` (atomically) and returns the exit code 0; a bad combination of
 * flags is a UsageError naming one of them.
 */
export async function writeFunctionFigure(
  values: FlagValues,
  positionals: readonly string[],
  given: ReadonlySet<string>,
): Promise<number> {
  if (positionals.length) {
    throw new UsageError(
      positionals[0],
      "metrics files cannot be given with --activations or --losses",
    );
  }
  if (values.sweep !== undefined) {
    throw new UsageError("--sweep", "cannot be given with --activations or --losses");
  }
  const activations = values.activations as string | undefined;
  if (activations !== undefined && values.losses !== undefined) {
    throw new UsageError(
      "--losses",
      "draws another figure than --activations: give one per command",
    );
  }
  const range = values.range as string | undefined;
  let svg: string, count: number;
  if (activations !== undefined) {
    const stray = LOSS_ONLY.find((f) => given.has(f));
    if (stray) throw new UsageError(`--${stray}`, "applies to --losses");
    ({ svg, count } = await activationFigure(activations, parseRange(range, [-4, 4])));
  } else {
    const target = values.target as number;
    const args = {
      delta: values.delta as number,
      beta: values.beta as number,
      quantile: values.quantile as number,
    };
    if (!(args.quantile < 1)) {
      throw new UsageError("--quantile", `must be below 1, got ${args.quantile}`);
    }
    const losses = String(values.losses);
    count = losses === "all" ? Object.keys(lossCurves()).length : losses.split(",").length;
    svg = await lossFigure(losses, target, args, parseRange(range, [target - 4, target + 4]));
  }
  const out = String(values.out);
  try {
    await writeTextAtomic(out, svg);
  } catch (e) {
    throw new UsageError("--out", `cannot write ${out}: ${(e as Error).message}`);
  }
  const what = activations !== undefined ? "activation" : "loss";
  console.log(
    `report: wrote ${out} (${count} ${what}${count > 1 ? (what === "loss" ? "es" : "s") : ""})`,
  );
  return 0;
}
