/**
 * The tensors a checkpoint of a trainer holds: every parameter and buffer under its
 * `state_dict` name, and the optimizer's state under `optim.<parameter>.<state>`, with the
 * scalar state (ASGD's `eta`, NAdam's `mu_product`) only once a step has been taken.
 *
 * @module
 */

import type { TensorLayout } from "../checkpoint/tensor_set.ts";
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
  const state = optimizer.stateLayout(step).map((t) => ({
    name: `optim.${t.name}`,
    shape: t.shape,
  }));
  return { model, optimizer: state };
}
