/**
 * A model's state beyond its parameters, as a checkpoint holds it: buffers as tensors
 * under their PyTorch `state_dict` names beside the parameters (`1.running_mean`,
 * `1.num_batches_tracked`), and host-side extra state under `<module>._extra_state` keys.
 * A model with neither adds nothing to a checkpoint.
 *
 * @module
 */

import { CheckpointError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import type { ModuleState } from "./checkpoint.ts";
import type { NamedTensor } from "./named_tensor.ts";

/** Extra-state key of the module at dotted `path` (PyTorch's: `_extra_state` for the root). */
function extraStateKey(path: string): string {
  return path ? `${path}._extra_state` : "_extra_state";
}

/** The model's buffers, read back, in registration order (call between steps). */
export async function readBuffers(model: Module): Promise<NamedTensor[]> {
  const out: NamedTensor[] = [];
  for (const [name, buffer] of model.namedBuffers()) {
    out.push({ name, shape: [...buffer.shape], data: await buffer.read() });
  }
  return out;
}

/** Every module's extra state by key; null when no module has any. */
export function extraStates(model: Module): ModuleState | null {
  const entries = model.namedModules().flatMap(([path, m]) => {
    const state = m.extraState();
    return state ? [[extraStateKey(path), state] as const] : [];
  });
  return entries.length ? Object.fromEntries(entries) : null;
}

/**
 * Restores the model's buffers from `tensors` (by name, shapes checked) and its modules'
 * extra state from `moduleState`; anything the model has and the checkpoint lacks throws
 * a {@link CheckpointError} naming `path`.
 */
export function restoreModuleState(
  model: Module,
  tensors: readonly NamedTensor[],
  moduleState: ModuleState | undefined,
  path: string,
): void {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const [name, buffer] of model.namedBuffers()) {
    const t = byName.get(name);
    if (!t || t.shape.join() !== buffer.shape.join()) {
      throw new CheckpointError(
        path,
        `buffer ${name} [${buffer.shape}] is missing or has another shape`,
      );
    }
    buffer.load(t.data);
  }
  for (const [modulePath, m] of model.namedModules()) {
    if (!m.extraState()) continue;
    const key = extraStateKey(modulePath);
    const state = moduleState?.[key];
    if (!state) throw new CheckpointError(path, `module state ${key} is missing`);
    try {
      m.loadExtraState(state);
    } catch (e) {
      throw new CheckpointError(path, `module state ${key}: ${(e as Error).message}`);
    }
  }
}
