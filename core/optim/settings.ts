/**
 * An optimizer's settings: options in PyTorch's names (camelCase), resolved against the
 * catalogue's defaults for one kind and validated as PyTorch validates them.
 *
 * @module
 */

import type { OptimizerHyper } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { type OptimizerArgValue, optimizerSpec, optionKey } from "./catalog.ts";
import { type OptimizerKind, optimizerRecord } from "./kinds.ts";

/**
 * Optimizer settings in PyTorch's names (camelCase); omitted fields take PyTorch's
 * defaults for the optimizer, and fields that it does not take are ignored.
 */
export interface OptimizerOptions {
  /** Learning rate. */
  lr?: number;
  /** Momentum factor (SGD, RMSprop). */
  momentum?: number;
  /** Dampening for momentum (SGD). */
  dampening?: number;
  /** Weight decay. */
  weightDecay?: number;
  /** Nesterov momentum (SGD). */
  nesterov?: boolean;
  /** Maximize the objective instead. */
  maximize?: boolean;
  /** Decay rates of the gradient's mean and square (Adam family). */
  betas?: readonly [number, number];
  /** Term added to denominators for stability. */
  eps?: number;
  /** AMSGrad (Adam, AdamW). */
  amsgrad?: boolean;
  /** Learning-rate decay (Adagrad). */
  lrDecay?: number;
  /** Starting value of Adagrad's `sum`. */
  initialAccumulatorValue?: number;
  /** Decay of the squared averages (Adadelta). */
  rho?: number;
  /** Smoothing constant (RMSprop), or ASGD's power. */
  alpha?: number;
  /** Normalise by the gradient's variance estimate (RMSprop). */
  centered?: boolean;
  /** ASGD's decay term. */
  lambd?: number;
  /** ASGD: the step at which averaging starts. */
  t0?: number;
  /** NAdam's momentum decay. */
  momentumDecay?: number;
  /** Rprop's decrease and increase factors. */
  etas?: readonly [number, number];
  /** Rprop's smallest and largest step. */
  stepSizes?: readonly [number, number];
}

/** The step-independent part of {@link OptimizerHyper}, plus the host-only settings. */
export interface GroupSettings
  extends Omit<OptimizerHyper, "step" | "eta" | "mu" | "muProduct" | "rowSize"> {
  /** ASGD: the step at which averaging starts. */
  t0: number;
  /** Adagrad: the starting value of `sum`. */
  initialAccumulatorValue: number;
}

/** Settings that no optimizer changes the meaning of when it does not take them. */
const NEUTRAL: GroupSettings = {
  lr: 0,
  weightDecay: 0,
  maximize: false,
  momentum: 0,
  dampening: 0,
  nesterov: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  amsgrad: false,
  lrDecay: 0,
  rho: 0.9,
  alpha: 0.99,
  centered: false,
  lambd: 1e-4,
  t0: 1e6,
  momentumDecay: 4e-3,
  etaMinus: 0.5,
  etaPlus: 1.2,
  stepSizeMin: 1e-6,
  stepSizeMax: 50,
  initialAccumulatorValue: 0,
};

/** A full {@link OptimizerHyper} for one update: `settings` at `step`, scalars at rest. */
export function hyperAt(settings: GroupSettings, step: number): OptimizerHyper {
  return { ...settings, step, eta: settings.lr, mu: 1, muProduct: 1, rowSize: 1 };
}

/**
 * `kind`'s settings from `options` layered over PyTorch's defaults (later layers win),
 * validated like PyTorch's constructor; a bad value throws a {@link UsageError} naming
 * the argument's flag.
 */
export function resolveSettings(
  kind: OptimizerKind,
  ...layers: readonly OptimizerOptions[]
): GroupSettings {
  const settings: GroupSettings = { ...NEUTRAL };
  const target = settings as unknown as Record<string, OptimizerArgValue>;
  for (const arg of optimizerSpec(kind)!.args) {
    const key = optionKey(arg.name);
    let value = arg.default;
    for (const layer of layers) {
      const given = (layer as Record<string, OptimizerArgValue | undefined>)[key];
      if (given !== undefined) value = given;
    }
    if (key === "betas") [settings.beta1, settings.beta2] = pair(arg.name, value);
    else if (key === "etas") [settings.etaMinus, settings.etaPlus] = pair(arg.name, value);
    else if (key === "stepSizes") {
      [settings.stepSizeMin, settings.stepSizeMax] = pair(arg.name, value);
    } else target[key] = value;
  }
  validate(kind, settings);
  return settings;
}

function pair(name: string, value: OptimizerArgValue): [number, number] {
  if (!Array.isArray(value) || value.length !== 2 || !value.every(Number.isFinite)) {
    throw new UsageError(name, `expected two numbers, got ${value}`);
  }
  return [value[0], value[1]];
}

function validate(kind: OptimizerKind, s: GroupSettings): void {
  const check = (ok: boolean, arg: string, message: string) => {
    if (!ok) throw new UsageError(arg, message);
  };
  const atLeast0 = (arg: string, value: number) =>
    check(value >= 0, arg, `expected a value >= 0, got ${value}`);
  const args = new Set(optimizerSpec(kind)!.args.map((a) => a.name));
  // The optimizer's own checks first: SparseAdam's stricter lr and eps come before these.
  optimizerRecord(kind).checkSettings?.(hyperAt(s, 1), check);
  check(s.lr >= 0, "lr", `expected a learning rate >= 0, got ${s.lr}`);
  if (args.has("eps")) atLeast0("eps", s.eps);
  for (const arg of ["momentum", "weight_decay", "lr_decay", "initial_accumulator_value"]) {
    if (args.has(arg)) atLeast0(arg, (s as unknown as Record<string, number>)[optionKey(arg)]);
  }
  check(
    !s.nesterov || (s.momentum > 0 && s.dampening === 0),
    "nesterov",
    "needs momentum > 0 and dampening 0",
  );
  check(s.rho >= 0 && s.rho <= 1, "rho", `expected rho in [0, 1], got ${s.rho}`);
  check(
    s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1,
    "betas",
    `expected betas in [0, 1), got ${s.beta1}, ${s.beta2}`,
  );
  check(
    s.etaMinus > 0 && s.etaMinus < 1 && s.etaPlus > 1,
    "etas",
    `expected 0 < etaminus < 1 < etaplus, got ${s.etaMinus}, ${s.etaPlus}`,
  );
  check(
    s.stepSizeMin >= 0 && s.stepSizeMin <= s.stepSizeMax,
    "step_sizes",
    `expected 0 <= min <= max, got ${s.stepSizeMin}, ${s.stepSizeMax}`,
  );
}
