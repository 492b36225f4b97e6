/**
 * The optimizer catalogue: every optimizer's name and its arguments with PyTorch 1.13's
 * names, defaults and meanings, as data that the CLI prints and validates flags against.
 *
 * @module
 */

import {
  type CatalogArg,
  catalogArg as arg,
  type CatalogSpec,
  type CatalogValue,
} from "../catalog.ts";
import type { OptimizerKind } from "./kinds.ts";

/** Every optimizer by name: the fused kinds and L-BFGS. */
export type OptimizerName = OptimizerKind | "lbfgs";

/** A value an optimizer argument takes. */
export type OptimizerArgValue = CatalogValue;

/** One optimizer and its arguments, in PyTorch's order. */
export interface OptimizerSpec extends CatalogSpec {
  /** The `--optimizer` / {@link optimizerFromName} name. */
  readonly name: OptimizerName;
  /** Whether `train --optimizer` offers it (not SparseAdam, for an `Embedding`'s sparse gradients). */
  readonly train: boolean;
}

const spec = (name: OptimizerName, pytorch: string, args: CatalogArg[]): OptimizerSpec => ({
  name,
  pytorch: `optim.${pytorch}`,
  train: name !== "sparse-adam",
  args,
});

const lr = (value: number) => arg("lr", value, "learning rate");
const weightDecay = () => arg("weight_decay", 0, "L2 penalty added to the gradient");
const maximize = arg("maximize", false, "maximize the objective instead of minimizing it");
const betas = arg("betas", [0.9, 0.999], "decay rates of the gradient's mean and square");
const eps = (value: number) => arg("eps", value, "term added to the denominator for stability");
const adamArgs = (decoupledDecay: number) => [
  lr(1e-3),
  betas,
  eps(1e-8),
  decoupledDecay ? arg("weight_decay", decoupledDecay, "decoupled weight decay") : weightDecay(),
  arg("amsgrad", false, "use the maximum of past squared-gradient averages (AMSGrad)"),
  maximize,
];

/** Every optimizer with its arguments and defaults. */
export const optimizerCatalog: readonly OptimizerSpec[] = [
  spec("sgd", "SGD", [
    lr(0.01),
    arg("momentum", 0, "momentum factor"),
    arg("dampening", 0, "dampening for momentum"),
    weightDecay(),
    arg("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening 0)"),
    maximize,
  ]),
  spec("asgd", "ASGD", [
    lr(1e-2),
    arg("lambd", 1e-4, "decay term"),
    arg("alpha", 0.75, "power for the eta update"),
    arg("t0", 1e6, "step at which averaging starts"),
    weightDecay(),
    maximize,
  ]),
  spec("adagrad", "Adagrad", [
    lr(1e-2),
    arg("lr_decay", 0, "learning-rate decay per step"),
    weightDecay(),
    arg("initial_accumulator_value", 0, "starting value of the squared-gradient sum"),
    eps(1e-10),
    maximize,
  ]),
  spec("adadelta", "Adadelta", [
    lr(1),
    arg("rho", 0.9, "decay rate of the running averages"),
    eps(1e-6),
    weightDecay(),
    maximize,
  ]),
  spec("rmsprop", "RMSprop", [
    lr(1e-2),
    arg("alpha", 0.99, "smoothing constant of the squared-gradient average"),
    eps(1e-8),
    weightDecay(),
    arg("momentum", 0, "momentum factor"),
    arg("centered", false, "normalise by the gradient's estimated variance"),
    maximize,
  ]),
  spec("adam", "Adam", adamArgs(0)),
  spec("adamw", "AdamW", adamArgs(1e-2)),
  spec("adamax", "Adamax", [lr(2e-3), betas, eps(1e-8), weightDecay(), maximize]),
  spec("nadam", "NAdam", [
    lr(2e-3),
    betas,
    eps(1e-8),
    weightDecay(),
    arg("momentum_decay", 4e-3, "momentum decay of the μ schedule"),
  ]),
  spec("radam", "RAdam", [lr(1e-3), betas, eps(1e-8), weightDecay()]),
  spec("rprop", "Rprop", [
    lr(1e-2),
    arg("etas", [0.5, 1.2], "step-size factors when the gradient flips sign / keeps it"),
    arg("step_sizes", [1e-6, 50], "smallest and largest step size"),
    maximize,
  ]),
  spec("lbfgs", "LBFGS", [
    lr(1),
    arg("max_iter", 20, "iterations per step"),
    arg("max_eval", null, "function evaluations per step (default max_iter·5/4)"),
    arg("tolerance_grad", 1e-7, "stop when every |gradient| is at most this"),
    arg("tolerance_change", 1e-9, "stop when the loss or parameters change less"),
    arg("history_size", 100, "update history kept"),
    arg("line_search_fn", null, "null or strong_wolfe"),
  ]),
  spec("sparse-adam", "SparseAdam", [lr(1e-3), betas, eps(1e-8), maximize]),
];

/** Every optimizer name, in catalogue order. */
export const optimizerNames: readonly OptimizerName[] = optimizerCatalog.map((s) => s.name);

/** The catalogue entry of `name`, or undefined for an unknown name. */
export function optimizerSpec(name: string): OptimizerSpec | undefined {
  return optimizerCatalog.find((s) => s.name === name);
}

/** An argument's option key: PyTorch's snake_case name in camelCase (`weight_decay` → `weightDecay`). */
export function optionKey(argName: string): string {
  return argName.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
}

/** An argument's command-line flag name: kebab-case (`weight_decay` → `weight-decay`). */
export function flagName(argName: string): string {
  return argName.replaceAll("_", "-");
}
