/**
 * `optimizerFromName`: any optimizer of the catalogue by name, with arguments in
 * PyTorch's names (`{ lr: 0.1, weight_decay: 1e-4, betas: [0.9, 0.99] }`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import type { FlatParameters } from "../nn/flat_parameters.ts";
import type { CatalogArg } from "../catalog.ts";
import { type OptimizerArgValue, optimizerNames, optimizerSpec, optionKey } from "./catalog.ts";
import type { OptimizerKind } from "./kinds.ts";
import { LBFGS, type LbfgsOptions } from "./lbfgs.ts";
import { Optimizer, type OptimizerOptions, type ParamGroup } from "./optimizer.ts";

/** Arguments by PyTorch's name; omitted ones take the catalogue's defaults. */
export type OptimizerArgs = Readonly<Record<string, OptimizerArgValue>>;

/**
 * The optimizer `name` over `flat`, built from `args`. An unknown name, an argument the
 * optimizer does not take, or a value of the wrong type throws a {@link UsageError}.
 *
 * @example
 * ```ts
 * import { bindParameters, createCpuBackend, Linear, optimizerFromName, Rng } from "../../mod.ts";
 * const flat = bindParameters(createCpuBackend(), new Linear(4, 2, new Rng(0)).namedParameters());
 * const opt = optimizerFromName("rmsprop", flat, { lr: 1e-3, centered: true });
 * console.log(opt.lr); // 0.001
 * ```
 */
export function optimizerFromName(
  name: string,
  flat: FlatParameters,
  args: OptimizerArgs = {},
  groups?: readonly ParamGroup[],
): Optimizer | LBFGS {
  const spec = optimizerSpec(name);
  if (!spec) {
    throw new UsageError(
      "optimizer",
      `expected one of ${optimizerNames.join(", ")}, got "${name}"`,
    );
  }
  const options: Record<string, OptimizerArgValue> = {};
  for (const [key, value] of Object.entries(args)) {
    const arg = spec.args.find((a) => a.name === key);
    if (!arg) {
      throw new UsageError(
        key,
        `${name} takes no such argument; it takes ${spec.args.map((a) => a.name).join(", ")}`,
      );
    }
    checkType(arg, value);
    options[optionKey(key)] = value;
  }
  if (name === "lbfgs") {
    if (groups) throw new UsageError("params", "lbfgs does not support parameter groups");
    return new LBFGS(flat, options as LbfgsOptions);
  }
  return new Optimizer(name as OptimizerKind, flat, options as OptimizerOptions, groups);
}

function checkType(arg: CatalogArg, value: OptimizerArgValue): void {
  const d = arg.default;
  const ok = Array.isArray(d)
    ? Array.isArray(value) && value.length === d.length && value.every(Number.isFinite)
    : d === null
    ? value === null || typeof value === "number" || typeof value === "string"
    : typeof value === typeof d;
  if (!ok) {
    const expected = Array.isArray(d)
      ? `${d.length} numbers`
      : d === null
      ? "a value"
      : `a ${typeof d}`;
    throw new UsageError(arg.name, `expected ${expected}, got ${JSON.stringify(value)}`);
  }
}
