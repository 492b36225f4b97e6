/**
 * The record of one fused optimizer: its catalogue entry (PyTorch's class and arguments)
 * and its update kernel (state, reference math, WGSL). Each lives in its own file under
 * `core/optim/updates/` and is listed once in `core/optim/updates/mod.ts`; the catalogue,
 * the settings, the {@link Optimizer} and every backend read it from there.
 *
 * @module
 */

import type { OptimizerHyper, UpdateKernel } from "../backend.ts";
import type { CatalogArg } from "../catalog.ts";

/** A scalar state entry, by its PyTorch `state_dict` name. */
export type ScalarStateName = "eta" | "mu" | "mu_product";

/** A parameter group's host-kept scalar state, by name. */
export type GroupScalars = Partial<Record<ScalarStateName, number>>;

/** The group settings that the scalar state's schedules read. */
export interface ScalarSettings {
  /** Learning rate. */
  readonly lr: number;
  /** ASGD's decay term. */
  readonly lambd: number;
  /** ASGD's power for the eta update. */
  readonly alpha: number;
  /** ASGD: the step at which averaging starts. */
  readonly t0: number;
}

/**
 * Scalar state that the host keeps per parameter group and passes to each update as a
 * uniform (ASGD's `eta` and `mu`, NAdam's `mu_product`).
 */
export interface ScalarState {
  /** Its entries, as checkpoints name them. */
  readonly names: readonly ScalarStateName[];
  /** Fills this update's `hyper` from `scalars`, setting them up at the first step. */
  before(hyper: OptimizerHyper, scalars: GroupScalars, settings: ScalarSettings): void;
  /** Advances `scalars` after the update. */
  after?(hyper: OptimizerHyper, scalars: GroupScalars, settings: ScalarSettings): void;
}

/** Throws a UsageError naming `arg` with `message` unless `ok`. */
export type RequireArg = (ok: boolean, arg: string, message: string) => void;

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
  /** The setting a cycling scheduler drives as momentum (OneCycleLR), if any. */
  readonly cycledMomentum?: "momentum" | "beta1";
  /** Host-kept scalar state, if any. */
  readonly scalarState?: ScalarState;
  /**
   * Each parameter is its own update, with `rowSize` its row width (SparseAdam, whose
   * rows are updated whole or not at all).
   */
  readonly rowWise?: boolean;
  /**
   * Its own checks of resolved settings, beyond those every optimizer shares (a learning
   * rate and `eps` of at least 0, nonnegative decays, valid betas), as PyTorch makes them.
   */
  readonly checkSettings?: (settings: Readonly<OptimizerHyper>, require: RequireArg) => void;
}

/** `record`, with its name kept as a literal type (so the optimizer names stay typed). */
export function defineOptimizer<const Name extends string>(
  record: OptimizerRecord<Name>,
): OptimizerRecord<Name> {
  return record;
}
