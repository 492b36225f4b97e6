/**
 * The schedulers by `--scheduler` name, with PyTorch's argument names (as
 * `--scheduler-args` takes them) and defaults, and the one interface `fit` drives them
 * through: `afterStep` once per optimizer step, `afterEpoch` once per epoch with the
 * epoch's training loss.
 *
 * @module
 */

import { numberArg as num } from "../../catalog.ts";
import { UsageError } from "../../errors.ts";
import { CosineAnnealingLR, CosineAnnealingWarmRestarts } from "./cosine.ts";
import { ExponentialLR, MultiStepLR, StepLR } from "./decay.ts";
import { LinearLR } from "./linear.ts";
import { type MomentumTarget, OneCycleLR } from "./one_cycle.ts";
import { ReduceLROnPlateau } from "./plateau.ts";
import type { LrTarget } from "./scheduler.ts";

/** A scheduler as training drives it. */
export interface ScheduleDriver {
  /** After every optimizer step. */
  afterStep(): void;
  /** After every epoch, with the epoch's training loss (the same on every rank). */
  afterEpoch(trainLoss: number): void;
}

/** What a schedule's defaults may depend on. */
export interface ScheduleContext {
  /** Epochs of the run. */
  readonly epochs: number;
  /** Optimizer steps per epoch. */
  readonly stepsPerEpoch: number;
}

/** An argument of a scheduler, in PyTorch's name. */
export interface ScheduleArg {
  readonly name: string;
  /** PyTorch's default; null where the run supplies it or where it is required. */
  readonly default: number | string | boolean | null;
  readonly doc: string;
  /** Must be given. */
  readonly required?: boolean;
}

type Args = Record<string, unknown>;

interface ScheduleDef {
  readonly doc: string;
  readonly args: readonly ScheduleArg[];
  /** Whether it advances per optimizer step (OneCycleLR) rather than per epoch. */
  readonly perStep?: boolean;
  readonly create: (target: MomentumTarget, a: Args, ctx: ScheduleContext) => {
    step(metric?: number): void;
  };
}

/** Every scheduler by name: PyTorch's class name in kebab-case. */
export const schedulerDefs: Readonly<Record<string, ScheduleDef>> = {
  "step-lr": {
    doc: "StepLR: lr × gamma every step_size epochs",
    args: [
      { name: "step_size", default: null, doc: "epochs between decays", required: true },
      { name: "gamma", default: 0.1, doc: "decay factor" },
    ],
    create: (t, a) => new StepLR(t, { stepSize: num(a, "step_size"), gamma: num(a, "gamma") }),
  },
  "multi-step-lr": {
    doc: "MultiStepLR: lr × gamma at each milestone epoch",
    args: [
      { name: "milestones", default: null, doc: "increasing epochs", required: true },
      { name: "gamma", default: 0.1, doc: "decay factor" },
    ],
    create: (t, a) =>
      new MultiStepLR(t, { milestones: a.milestones as number[], gamma: num(a, "gamma") }),
  },
  "exponential-lr": {
    doc: "ExponentialLR: lr × gamma every epoch",
    args: [{ name: "gamma", default: null, doc: "decay factor", required: true }],
    create: (t, a) => new ExponentialLR(t, { gamma: num(a, "gamma") }),
  },
  "cosine-annealing-lr": {
    doc: "CosineAnnealingLR: cosine from lr down to eta_min over T_max epochs",
    args: [
      {
        name: "T_max",
        default: null,
        doc: "epochs of the half cosine (default: the run's epochs)",
      },
      { name: "eta_min", default: 0, doc: "lowest lr" },
    ],
    create: (t, a, ctx) =>
      new CosineAnnealingLR(t, {
        tMax: (a.T_max as number | undefined) ?? ctx.epochs,
        etaMin: num(a, "eta_min"),
      }),
  },
  "cosine-annealing-warm-restarts": {
    doc: "CosineAnnealingWarmRestarts: cosine restarting after T_0, T_0·T_mult, … epochs",
    args: [
      { name: "T_0", default: null, doc: "epochs until the first restart", required: true },
      { name: "T_mult", default: 1, doc: "period growth factor" },
      { name: "eta_min", default: 0, doc: "lowest lr" },
    ],
    create: (t, a) =>
      new CosineAnnealingWarmRestarts(t, {
        t0: num(a, "T_0"),
        tMult: num(a, "T_mult"),
        etaMin: num(a, "eta_min"),
      }),
  },
  "linear-lr": {
    doc: "LinearLR: warm-up from start_factor·lr to end_factor·lr over total_iters epochs",
    args: [
      { name: "start_factor", default: 1 / 3, doc: "first factor" },
      { name: "end_factor", default: 1, doc: "last factor" },
      { name: "total_iters", default: 5, doc: "epochs of the ramp" },
    ],
    create: (t, a) =>
      new LinearLR(t, {
        startFactor: num(a, "start_factor"),
        endFactor: num(a, "end_factor"),
        totalIters: num(a, "total_iters"),
      }),
  },
  "one-cycle-lr": {
    doc: "OneCycleLR: per step, up to max_lr then down to max_lr/(div_factor·final_div_factor)",
    perStep: true,
    args: [
      { name: "max_lr", default: null, doc: "peak lr (default: --lr)" },
      { name: "pct_start", default: 0.3, doc: "fraction of steps rising" },
      { name: "anneal_strategy", default: "cos", doc: "cos or linear" },
      { name: "div_factor", default: 25, doc: "initial lr = max_lr / div_factor" },
      { name: "final_div_factor", default: 1e4, doc: "final lr = initial lr / final_div_factor" },
      { name: "three_phase", default: false, doc: "symmetric third phase" },
      { name: "cycle_momentum", default: true, doc: "cycle SGD momentum inversely" },
      { name: "base_momentum", default: 0.85, doc: "lowest momentum" },
      { name: "max_momentum", default: 0.95, doc: "highest momentum" },
    ],
    create: (t, a, ctx) =>
      new OneCycleLR(t, {
        maxLr: (a.max_lr as number | undefined) ?? t.lr,
        totalSteps: ctx.epochs * ctx.stepsPerEpoch,
        pctStart: num(a, "pct_start"),
        annealStrategy: a.anneal_strategy as "cos" | "linear",
        divFactor: num(a, "div_factor"),
        finalDivFactor: num(a, "final_div_factor"),
        threePhase: a.three_phase as boolean,
        cycleMomentum: a.cycle_momentum as boolean,
        baseMomentum: num(a, "base_momentum"),
        maxMomentum: num(a, "max_momentum"),
      }),
  },
  "reduce-lr-on-plateau": {
    doc: "ReduceLROnPlateau: lr × factor when the epoch's training loss stops improving",
    args: [
      { name: "mode", default: "min", doc: "min or max" },
      { name: "factor", default: 0.1, doc: "decay factor" },
      { name: "patience", default: 10, doc: "epochs without improvement tolerated" },
      { name: "threshold", default: 1e-4, doc: "what counts as an improvement" },
      { name: "threshold_mode", default: "rel", doc: "rel or abs" },
      { name: "cooldown", default: 0, doc: "epochs to wait after a cut" },
      { name: "min_lr", default: 0, doc: "lowest lr" },
      { name: "eps", default: 1e-8, doc: "smallest cut applied" },
    ],
    create: (t, a) =>
      new ReduceLROnPlateau(t, {
        mode: a.mode as "min" | "max",
        factor: num(a, "factor"),
        patience: num(a, "patience"),
        threshold: num(a, "threshold"),
        thresholdMode: a.threshold_mode as "rel" | "abs",
        cooldown: num(a, "cooldown"),
        minLr: num(a, "min_lr"),
        eps: num(a, "eps"),
      }),
  },
};

/**
 * The schedule `name` ("none" for a constant lr) over `target`, with PyTorch-named
 * `args`; a UsageError names the flag or argument that is wrong.
 */
export function scheduleByName(
  name: string,
  target: LrTarget,
  args: Args,
  ctx: ScheduleContext,
): ScheduleDriver {
  if (name === "none") return { afterStep() {}, afterEpoch() {} };
  const def = schedulerDefs[name];
  if (!def) {
    throw new UsageError(
      "scheduler",
      `expected none or one of ${Object.keys(schedulerDefs).join(", ")}, got "${name}"`,
    );
  }
  const known = new Set(def.args.map((a) => a.name));
  for (const key of Object.keys(args)) {
    if (!known.has(key)) {
      throw new UsageError(
        "schedulerArgs",
        `${name} has no argument "${key}" (it takes ${[...known].join(", ")})`,
      );
    }
  }
  const full: Args = {};
  for (const a of def.args) {
    if (a.required && args[a.name] === undefined) {
      throw new UsageError("schedulerArgs", `${name} needs "${a.name}" (${a.doc})`);
    }
    full[a.name] = args[a.name] ?? a.default ?? undefined;
  }
  const s = def.create(target as MomentumTarget, full, ctx);
  return def.perStep
    ? { afterStep: () => s.step(), afterEpoch() {} }
    : name === "reduce-lr-on-plateau"
    ? { afterStep() {}, afterEpoch: (loss) => s.step(loss) }
    : { afterStep() {}, afterEpoch: () => s.step() };
}
