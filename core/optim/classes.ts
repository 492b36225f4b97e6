/**
 * PyTorch's optimizer classes — `new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 })`,
 * `new Adam([{ params: a, lr: 1e-3 }, { params: b }])` — one generated from each fused
 * optimizer's record (its PyTorch class name and arguments), all running the same fused
 * {@link Optimizer} over the flat buffer that the parameters are views into.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { flatOf } from "../nn/flat_parameters.ts";
import { Parameter } from "../nn/parameter.ts";
import { optionKey } from "./catalog.ts";
import type { OptimizerKind } from "./kinds.ts";
import { Optimizer, type OptimizerConfig, type ParamGroup } from "./optimizer.ts";
import type { OptimizerRecord } from "./optimizer_record.ts";
import { optimizerRecords } from "./updates/mod.ts";

/**
 * What an optimizer class is built from, as in PyTorch: the parameters to update (e.g.
 * `model.parameters()`), or parameter groups, each with its own options.
 */
export type OptimizerParams = Iterable<Parameter> | readonly ParamGroup[];

/** An optimizer class: `new Adam(params, options)`. */
export type OptimizerClass = new (params: OptimizerParams, options?: OptimizerConfig) => Optimizer;

/** The class name of a record: `optim.RMSprop` → `RMSprop`. */
function classNameOf(record: OptimizerRecord): string {
  return record.pytorch.replace(/^optim\./, "");
}

function optimizerClass(record: OptimizerRecord<OptimizerKind>): OptimizerClass {
  const className = classNameOf(record);
  const takes = new Set(["clip", ...record.args.map((a) => optionKey(a.name))]);
  const checkKeys = (options: object, where: string) => {
    for (const key of Object.keys(options)) {
      if (takes.has(key) || (key === "params" && where)) continue;
      throw new UsageError(
        key,
        `not an option of ${className}${where}; expected one of ${[...takes].join(", ")}`,
      );
    }
  };
  const cls = class extends Optimizer {
    constructor(params: OptimizerParams, options: OptimizerConfig = {}) {
      checkKeys(options, "");
      const groups = groupsOf(params);
      groups?.forEach((g, i) => checkKeys(g, ` (param group ${i})`));
      const members = (groups ?? [{ params: [...params as Iterable<Parameter>] }])
        .flatMap((g) => g.params.filter((p): p is Parameter => p instanceof Parameter));
      const flat = flatOf(members);
      const whole = !groups && members.length === flat.slots.length;
      super(record.name, flat, options, whole ? undefined : groups ?? [{ params: members }]);
    }
  };
  Object.defineProperty(cls, "name", { value: className });
  return cls;
}

// Parameter groups when `params` holds them; undefined for plain parameters.
function groupsOf(params: OptimizerParams): readonly ParamGroup[] | undefined {
  const list = [...params as Iterable<Parameter | ParamGroup>];
  if (list.every((p) => p instanceof Parameter)) return undefined;
  if (list.some((p) => p instanceof Parameter)) {
    throw new UsageError("params", "expected parameters or parameter groups, not a mix of both");
  }
  return list as ParamGroup[];
}

/** Every fused optimizer's class by its PyTorch name (`SGD`, `Adam`, `RMSprop`, …). */
export const optimizerClasses: Readonly<Record<string, OptimizerClass>> = Object.fromEntries(
  optimizerRecords.map((r) => [classNameOf(r), optimizerClass(r)]),
);

/**
 * `optim.SGD`: stochastic gradient descent, with momentum and Nesterov momentum.
 *
 * @example
 * ```ts
 * import { createCpuBackend, Linear, Rng, SGD } from "../../mod.ts";
 * const model = new Linear(4, 2, new Rng(0)).to(createCpuBackend());
 * const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * console.log(opt.paramGroups[0].settings.momentum); // 0.9
 * ```
 */
export const SGD: OptimizerClass = optimizerClasses.SGD;
/** `optim.ASGD`: averaged stochastic gradient descent. */
export const ASGD: OptimizerClass = optimizerClasses.ASGD;
/** `optim.Adagrad`. */
export const Adagrad: OptimizerClass = optimizerClasses.Adagrad;
/** `optim.Adadelta`. */
export const Adadelta: OptimizerClass = optimizerClasses.Adadelta;
/** `optim.RMSprop`. */
export const RMSprop: OptimizerClass = optimizerClasses.RMSprop;
/** `optim.Adam`, with AMSGrad. */
export const Adam: OptimizerClass = optimizerClasses.Adam;
/** `optim.AdamW`: Adam with decoupled weight decay. */
export const AdamW: OptimizerClass = optimizerClasses.AdamW;
/** `optim.Adamax`. */
export const Adamax: OptimizerClass = optimizerClasses.Adamax;
/** `optim.NAdam`. */
export const NAdam: OptimizerClass = optimizerClasses.NAdam;
/** `optim.RAdam`. */
export const RAdam: OptimizerClass = optimizerClasses.RAdam;
/** `optim.Rprop`. */
export const Rprop: OptimizerClass = optimizerClasses.Rprop;
/** `optim.SparseAdam`, for an `Embedding`'s rows. */
export const SparseAdam: OptimizerClass = optimizerClasses.SparseAdam;
