/**
 * The optimizer catalogue: every optimizer's name and its arguments with PyTorch 1.13's
 * names, defaults and meanings (the fused optimizers' from their records), as data that
 * the CLI prints and validates flags against.
 *
 * @module
 */

import { catalogArg as arg, type CatalogSpec, type CatalogValue } from "../catalog.ts";
import type { OptimizerKind } from "./kinds.ts";
import { lrArg } from "./updates/common.ts";
import { optimizerRecords } from "./updates/mod.ts";

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

/** Every optimizer with its arguments and defaults: the fused ones' records, then L-BFGS. */
export const optimizerCatalog: readonly OptimizerSpec[] = [
  ...optimizerRecords.map(({ name, pytorch, args }) => ({
    name,
    pytorch,
    args,
    // SparseAdam is for an Embedding's sparse gradients, which `train` does not make.
    train: name !== "sparse-adam",
  })),
  {
    name: "lbfgs",
    pytorch: "optim.LBFGS",
    train: true,
    args: [
      lrArg(1),
      arg("max_iter", 20, "iterations per step"),
      arg("max_eval", null, "function evaluations per step (default max_iter·5/4)"),
      arg("tolerance_grad", 1e-7, "stop when every |gradient| is at most this"),
      arg("tolerance_change", 1e-9, "stop when the loss or parameters change less"),
      arg("history_size", 100, "update history kept"),
      arg("line_search_fn", null, "null or strong_wolfe"),
    ],
  },
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
