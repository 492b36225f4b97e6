/**
 * The fused optimizer updates: one kernel per optimizer over the flat parameter,
 * gradient and state buffers (state in {@link optimizerStateNames} order). Each uniform
 * field sits beside the host formula that fills it, so the two cannot drift apart.
 *
 * @module
 */

import type { OptimizerHyper } from "../../core/backend.ts";
import { type OptimizerKind, optimizerStateNames } from "../../core/optim/kinds.ts";
import adam from "./adam.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel, type ParamField } from "./kernel.ts";
import sgd from "./sgd.wgsl" with { type: "text" };

type Field = readonly [ParamField, (h: OptimizerHyper, n: number) => number];

const u32 = (name: string, value: Field[1]): Field => [{ name, type: "u32" }, value];
const f32 = (name: string, value: Field[1]): Field => [{ name, type: "f32" }, value];
const flag = (name: string, value: (h: OptimizerHyper) => boolean): Field =>
  u32(name, (h) => value(h) ? 1 : 0);

const SGD: readonly Field[] = [
  u32("n", (_, n) => n),
  f32("lr", (h) => h.lr),
  f32("weight_decay", (h) => h.weightDecay),
  f32("momentum", (h) => h.momentum),
  f32("one_minus_dampening", (h) => 1 - h.dampening),
  flag("first_step", (h) => h.step === 1),
  flag("nesterov", (h) => h.nesterov),
  flag("maximize", (h) => h.maximize),
];

const adamFields = (decoupled: boolean): readonly Field[] => [
  u32("n", (_, n) => n),
  f32("weight_decay", (h) => h.weightDecay),
  f32("decay_factor", (h) => 1 - h.lr * h.weightDecay),
  f32("one_minus_beta1", (h) => 1 - h.beta1),
  f32("beta2", (h) => h.beta2),
  f32("one_minus_beta2", (h) => 1 - h.beta2),
  f32("eps", (h) => h.eps),
  f32("step_size", (h) => h.lr / (1 - Math.pow(h.beta1, h.step))),
  f32("bias_correction2_sqrt", (h) => Math.sqrt(1 - Math.pow(h.beta2, h.step))),
  flag("amsgrad", (h) => h.amsgrad),
  flag("maximize", (h) => h.maximize),
  flag("decoupled", () => decoupled),
];

const updates: Record<OptimizerKind, { fields: readonly Field[]; source: string }> = {
  sgd: { fields: SGD, source: sgd },
  adam: { fields: adamFields(false), source: adam },
  adamw: { fields: adamFields(true), source: adam },
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
      sources: [updates[kind].source],
    }));
}

/** Uniform values of one update of `n` elements, in the kernel's field order. */
export function optimizerParams(kind: OptimizerKind, n: number, hyper: OptimizerHyper): number[] {
  return updates[kind].fields.map(([, value]) => value(hyper, n));
}
