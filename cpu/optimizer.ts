/**
 * Optimizer updates specialised for the CPU: the reference's formulas (`core/optim/update.ts`)
 * with the hyper-parameters read once per update instead of once per element, which V8 turns
 * into a tight loop. Results are bitwise the reference's (the same operations in the same
 * order); kinds without a specialised loop return false and the reference runs.
 *
 * @module
 */

import type { OptimizerHyper } from "../core/backend.ts";
import type { OptimizerKind } from "../core/optim/kinds.ts";

/** SGD with momentum, dampening, Nesterov, weight decay and maximize, as `torch.optim.SGD`. */
function sgd(p: Float32Array, g: Float32Array, buf: Float32Array, h: OptimizerHyper): void {
  const lr = h.lr, wd = h.weightDecay, mu = h.momentum, nesterov = h.nesterov;
  const keep = 1 - h.dampening, first = h.step === 1, maximize = h.maximize;
  for (let i = 0; i < p.length; i++) {
    let d = maximize ? -g[i] : g[i];
    if (wd !== 0) d = d + wd * p[i];
    if (mu !== 0) {
      buf[i] = first ? d : mu * buf[i] + keep * d;
      d = nesterov ? d + mu * buf[i] : buf[i];
    }
    p[i] -= lr * d;
  }
}

/**
 * Applies one update of `kind` in place when this module has a loop for it (returns true);
 * returns false, changing nothing, otherwise.
 */
export function fastOptimizerUpdate(
  kind: OptimizerKind,
  p: Float32Array,
  g: Float32Array,
  state: readonly Float32Array[],
  h: OptimizerHyper,
): boolean {
  if (kind === "sgd") {
    sgd(p, g, state[0], h);
    return true;
  }
  return false;
}
