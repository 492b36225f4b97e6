/**
 * Reference optimizer updates on host arrays, with PyTorch's formulas (torch.optim,
 * single-tensor path). The CPU backend runs these; GPU kernels are tested against them.
 *
 * @module
 */

import type { OptimizerHyper } from "../backend.ts";
import type { OptimizerKind } from "./kinds.ts";

/** Applies one update of `kind` in place to `p` and `state`, given gradients `g`. */
export function optimizerUpdate(
  kind: OptimizerKind,
  p: Float32Array,
  g: Float32Array,
  state: readonly Float32Array[],
  h: OptimizerHyper,
): void {
  if (kind === "sgd") sgdUpdate(p, g, state[0], h);
  else adamUpdate(p, g, state, h, kind === "adamw");
}

function sgdUpdate(p: Float32Array, g: Float32Array, buf: Float32Array, h: OptimizerHyper) {
  for (let i = 0; i < p.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    if (h.weightDecay !== 0) d += h.weightDecay * p[i];
    if (h.momentum !== 0) {
      const b = h.step === 1 ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
      buf[i] = b;
      d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * d;
  }
}

function adamUpdate(
  p: Float32Array,
  g: Float32Array,
  [m, v, vmax]: readonly Float32Array[],
  h: OptimizerHyper,
  decoupled: boolean,
) {
  const bc1 = 1 - Math.pow(h.beta1, h.step);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, h.step));
  const stepSize = h.lr / bc1;
  for (let i = 0; i < p.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    if (h.weightDecay !== 0) {
      if (decoupled) p[i] *= 1 - h.lr * h.weightDecay;
      else d += h.weightDecay * p[i];
    }
    m[i] += (d - m[i]) * (1 - h.beta1);
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    let second = v[i];
    if (h.amsgrad) {
      vmax[i] = Math.max(vmax[i], v[i]);
      second = vmax[i];
    }
    p[i] -= stepSize * m[i] / (Math.sqrt(second) / bc2Sqrt + h.eps);
  }
}
