/**
 * The optimizers that run as one fused update over the flat parameter buffer (their records
 * are in `core/optim/updates/`), by name, and the names of the state each keeps beside it
 * (PyTorch's `state_dict` names).
 *
 * @module
 */

import type { OptimizerRecord, ScalarStateName } from "./optimizer_record.ts";
import { optimizerRecords } from "./updates/mod.ts";

/** Optimizers with a fused update kernel (every optimizer but L-BFGS). */
export type OptimizerKind = (typeof optimizerRecords)[number]["name"];

/** Every fused optimizer kind. */
export const optimizerKinds: readonly OptimizerKind[] = optimizerRecords.map((r) => r.name);

/** The record of `kind`. */
export function optimizerRecord(kind: OptimizerKind): OptimizerRecord<OptimizerKind> {
  return optimizerRecords.find((r) => r.name === kind)!;
}

/** Names of the per-parameter state buffers of `kind`, in the order backends receive them. */
export function optimizerStateNames(kind: OptimizerKind): readonly string[] {
  return optimizerRecord(kind).kernel.stateNames;
}

/**
 * Names of the scalar state that the host keeps per parameter group of `kind` and passes
 * to each update as a uniform (ASGD's `eta` and `mu`, NAdam's `mu_product`).
 */
export function optimizerScalarNames(kind: OptimizerKind): readonly ScalarStateName[] {
  return optimizerRecord(kind).scalarState?.names ?? [];
}
