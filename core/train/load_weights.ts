/**
 * A checkpoint's model weights — parameters, buffers, modules' extra state, not the
 * optimizer's state — loaded into a trainer built for its configuration: what resuming
 * starts with, and all that `gradmesh eval` and `predict` need.
 *
 * @module
 */

import type { Checkpoint } from "../checkpoint/checkpoint.ts";
import { restoreModuleState } from "../checkpoint/module_state.ts";
import { requireTensorSet } from "../checkpoint/tensor_set.ts";
import { checkpointLayout } from "./checkpoint_layout.ts";
import type { Trainer } from "./trainer.ts";

/**
 * Writes `ckpt`'s model tensors into `trainer`'s parameters and buffers. A checkpoint
 * whose tensors do not match the model's names and shapes is a CheckpointError naming
 * `path`.
 */
export function loadModelWeights(trainer: Trainer, ckpt: Checkpoint, path: string): void {
  const { flat } = trainer;
  requireTensorSet(path, checkpointLayout(trainer, ckpt.step).model, ckpt.params);
  const host = new Float32Array(flat.size);
  const byName = new Map(ckpt.params.map((t) => [t.name, t]));
  for (const s of flat.slots) host.set(byName.get(s.name)!.data, s.offset);
  flat.backend.write(flat.params, host);
  restoreModuleState(trainer.model, ckpt.params, ckpt.moduleState, path);
}
