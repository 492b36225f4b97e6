/**
 * The fused optimizer updates: one kernel per optimizer over the flat parameter,
 * gradient and state buffers (state in {@link optimizerStateNames} order). Each uniform
 * field sits beside the host formula that fills it, so the two cannot drift apart; the
 * per-step scalars come from core/optim/step_scalars.ts, as the CPU reference's do.
 *
 * @module
 */

import type { OptimizerHyper } from "../../core/backend.ts";
import { type OptimizerKind, optimizerStateNames } from "../../core/optim/kinds.ts";
import {
  adagradLr,
  adamStepSize,
  biasCorrection2Sqrt,
  nadamCoefficients,
  radamRectification,
  sparseAdamStepSize,
} from "../../core/optim/step_scalars.ts";
import adadelta from "./adadelta.wgsl" with { type: "text" };
import adagrad from "./adagrad.wgsl" with { type: "text" };
import adam from "./adam.wgsl" with { type: "text" };
import adamax from "./adamax.wgsl" with { type: "text" };
import asgd from "./asgd.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel, type ParamField } from "./kernel.ts";
import moments from "./moments.wgsl" with { type: "text" };
import nadam from "./nadam.wgsl" with { type: "text" };
import direction from "./optimizer_direction.wgsl" with { type: "text" };
import perParameter from "./per_parameter.wgsl" with { type: "text" };
import radam from "./radam.wgsl" with { type: "text" };
import rmsprop from "./rmsprop.wgsl" with { type: "text" };
import rprop from "./rprop.wgsl" with { type: "text" };
import sgd from "./sgd.wgsl" with { type: "text" };
import sparseAdam from "./sparse_adam.wgsl" with { type: "text" };

type Field = readonly [ParamField, (h: OptimizerHyper, n: number) => number];

const u32 = (name: string, value: Field[1]): Field => [{ name, type: "u32" }, value];
const f32 = (name: string, value: Field[1]): Field => [{ name, type: "f32" }, value];
const flag = (name: string, value: (h: OptimizerHyper) => boolean): Field =>
  u32(name, (h) => value(h) ? 1 : 0);

/** The fields that {@link direction} reads, first in every kernel that uses it. */
const DIRECTION: readonly Field[] = [
  u32("n", (_, n) => n),
  flag("maximize", (h) => h.maximize),
  f32("weight_decay", (h) => h.weightDecay),
];

/** The fields that {@link moments} reads (and adamax, which keeps its own second moment). */
const MOMENTS: readonly Field[] = [
  f32("beta1", (h) => h.beta1),
  f32("one_minus_beta1", (h) => 1 - h.beta1),
  f32("beta2", (h) => h.beta2),
  f32("one_minus_beta2", (h) => 1 - h.beta2),
  f32("eps", (h) => h.eps),
];

const adamFields = (decoupled: boolean): readonly Field[] => [
  ...DIRECTION,
  ...MOMENTS,
  f32("decay_factor", (h) => 1 - h.lr * h.weightDecay),
  f32("step_size", adamStepSize),
  f32("bias_correction2_sqrt", biasCorrection2Sqrt),
  flag("amsgrad", (h) => h.amsgrad),
  flag("decoupled", () => decoupled),
];

interface Update {
  fields: readonly Field[];
  /** Helpers and the kernel's `update(i)`, run by {@link perParameter} once per element. */
  sources: readonly string[];
}

const updates: Record<OptimizerKind, Update> = {
  sgd: {
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("momentum", (h) => h.momentum),
      f32("one_minus_dampening", (h) => 1 - h.dampening),
      flag("first_step", (h) => h.step === 1),
      flag("nesterov", (h) => h.nesterov),
    ],
    sources: [direction, sgd],
  },
  asgd: {
    fields: [
      ...DIRECTION,
      f32("decay", (h) => 1 - h.lambd * h.eta),
      f32("eta", (h) => h.eta),
      f32("mu", (h) => h.mu),
    ],
    sources: [direction, asgd],
  },
  adagrad: {
    fields: [...DIRECTION, f32("clr", adagradLr), f32("eps", (h) => h.eps)],
    sources: [direction, adagrad],
  },
  adadelta: {
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("rho", (h) => h.rho),
      f32("one_minus_rho", (h) => 1 - h.rho),
      f32("eps", (h) => h.eps),
    ],
    sources: [direction, adadelta],
  },
  rmsprop: {
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("alpha", (h) => h.alpha),
      f32("one_minus_alpha", (h) => 1 - h.alpha),
      f32("eps", (h) => h.eps),
      f32("momentum", (h) => h.momentum),
      flag("centered", (h) => h.centered),
    ],
    sources: [direction, rmsprop],
  },
  adam: { fields: adamFields(false), sources: [moments, adam] },
  adamw: { fields: adamFields(true), sources: [moments, adam] },
  adamax: {
    fields: [...DIRECTION, ...MOMENTS, f32("clr", adamStepSize)],
    sources: [direction, adamax],
  },
  nadam: {
    fields: [
      ...DIRECTION,
      ...MOMENTS,
      f32("bias_correction2", (h) => 1 - h.beta2 ** h.step),
      f32("grad_coef", (h) => nadamCoefficients(h).grad),
      f32("avg_coef", (h) => nadamCoefficients(h).avg),
    ],
    sources: [direction, moments, nadam],
  },
  radam: {
    fields: [
      ...DIRECTION,
      ...MOMENTS,
      f32("lr", (h) => h.lr),
      f32("bias_correction1", (h) => 1 - h.beta1 ** h.step),
      f32("bias_correction2_sqrt", biasCorrection2Sqrt),
      flag("rectified", (h) => radamRectification(h) !== null),
      f32("rect", (h) => radamRectification(h) ?? 0),
    ],
    sources: [direction, moments, radam],
  },
  rprop: {
    fields: [
      u32("n", (_, n) => n),
      flag("maximize", (h) => h.maximize),
      f32("lr", (h) => h.lr),
      f32("eta_minus", (h) => h.etaMinus),
      f32("eta_plus", (h) => h.etaPlus),
      f32("step_size_min", (h) => h.stepSizeMin),
      f32("step_size_max", (h) => h.stepSizeMax),
      flag("first_step", (h) => h.step === 1),
    ],
    sources: [rprop],
  },
  "sparse-adam": {
    fields: [
      u32("n", (_, n) => n),
      flag("maximize", (h) => h.maximize),
      u32("row_size", (h) => h.rowSize),
      f32("one_minus_beta1", (h) => 1 - h.beta1),
      f32("one_minus_beta2", (h) => 1 - h.beta2),
      f32("eps", (h) => h.eps),
      f32("step_size", sparseAdamStepSize),
    ],
    sources: [sparseAdam],
  },
};

/** The update kernel of `kind`: bindings `p`, `g`, then the state buffers by name. */
export function optimizerKernel(kind: OptimizerKind): Kernel {
  return memoKernel(`optimizer:${kind}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ["p", "read_write"],
        ["g", "read"],
        ...optimizerStateNames(kind).map((name) => [name, "read_write"] as const),
      ],
      params: updates[kind].fields.map(([field]) => field),
      sources: [perParameter, ...updates[kind].sources],
    }));
}

/** Uniform values of one update of `n` elements, in the kernel's field order. */
export function optimizerParams(kind: OptimizerKind, n: number, hyper: OptimizerHyper): number[] {
  return updates[kind].fields.map(([, value]) => value(hyper, n));
}
