/**
 * The record of one fused optimizer: its catalogue entry (PyTorch's class and arguments)
 * and its update kernel (state, reference math, WGSL). Each lives in its own file under
 * `core/optim/updates/` and is listed once in `core/optim/updates/mod.ts`; the catalogue,
 * the settings, the {@link Optimizer} and every backend read it from there.
 *
 * @module
 */

import type { UpdateKernel } from "../backend.ts";
import type { CatalogArg } from "../catalog.ts";

/** One fused optimizer. */
export interface OptimizerRecord<Name extends string = string> {
  /** The `--optimizer` / `optimizerFromName` name (kebab-case). */
  readonly name: Name;
  /** What PyTorch calls it, e.g. `optim.SGD`. */
  readonly pytorch: string;
  /** Its arguments in PyTorch's names and order, with PyTorch's defaults. */
  readonly args: readonly CatalogArg[];
  /** The update that every backend runs. */
  readonly kernel: UpdateKernel;
}

/** `record`, with its name kept as a literal type (so the optimizer names stay typed). */
export function defineOptimizer<const Name extends string>(
  record: OptimizerRecord<Name>,
): OptimizerRecord<Name> {
  return record;
}
