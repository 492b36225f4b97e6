/**
 * The tensors a checkpoint of a trainer holds: every parameter and buffer under its
 * `state_dict` name, and the optimizer's state under `optim.<parameter>.<state>`, with the
 * scalar state (ASGD's `eta`, NAdam's `mu_product`) only once a step has been taken.
 *
 * @module
 */

import type { TensorLayout } from "../checkpoint/tensor_set.ts";
import { optimizerScalarNames, optimizerStateNames } from "../optim/kinds.ts";
import { LBFGS } from "../optim/lbfgs.ts";
import type { Trainer } from "./trainer.ts";

/**
 * The model's tensors (parameters, then buffers) and the optimizer's, as a checkpoint
 * written after `step` steps holds them (L-BFGS saves no optimizer state).
 *
 * @example
 * ```ts ignore
 * import { checkpointLayout } from "./checkpoint_layout.ts";
 * const { model, optimizer } = checkpointLayout(trainer, 10);
 * ```
 */
export function checkpointLayout(
  trainer: Trainer,
  step: number,
): { model: TensorLayout[]; optimizer: TensorLayout[] } {
  const { flat, optimizer } = trainer;
  const model: TensorLayout[] = [
    ...flat.slots.map((s) => ({ name: s.name, shape: s.shape })),
    ...trainer.model.namedBuffers().map(([name, b]) => ({ name, shape: b.shape })),
  ];
  if (optimizer instanceof LBFGS) return { model, optimizer: [] };
  const scalars = step > 0 ? optimizerScalarNames(optimizer.kind) : [];
  const state = optimizer.paramGroups.flatMap((g) => g.range.slots).flatMap((s) => [
    ...optimizerStateNames(optimizer.kind).map((k) => ({
      name: `optim.${s.name}.${k}`,
      shape: s.shape,
    })),
    ...scalars.map((k) => ({ name: `optim.${s.name}.${k}`, shape: [] })),
  ]);
  return { model, optimizer: state };
}
