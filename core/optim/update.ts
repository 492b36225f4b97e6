/**
 * Reference optimizer updates on host arrays, with PyTorch 1.13's formulas (torch.optim,
 * single-tensor path) in its order of operations. The CPU backend runs these; GPU
 * kernels are tested against them.
 *
 * @module
 */

import type { OptimizerHyper } from "../backend.ts";
import type { OptimizerKind } from "./kinds.ts";
import {
  adagradLr,
  adamStepSize,
  biasCorrection2Sqrt,
  nadamCoefficients,
  radamRectification,
  sparseAdamStepSize,
} from "./step_scalars.ts";

type Update = (
  p: Float32Array,
  g: Float32Array,
  state: readonly Float32Array[],
  h: OptimizerHyper,
) => void;

/** Applies one update of `kind` in place to `p` and `state`, given gradients `g`. */
export function optimizerUpdate(
  kind: OptimizerKind,
  p: Float32Array,
  g: Float32Array,
  state: readonly Float32Array[],
  h: OptimizerHyper,
): void {
  updates[kind](p, g, state, h);
}

/** The gradient as every update starts from it: negated to maximize, plus L2 decay. */
function direction(p: Float32Array, g: Float32Array, i: number, h: OptimizerHyper): number {
  const d = h.maximize ? -g[i] : g[i];
  return h.weightDecay !== 0 ? d + h.weightDecay * p[i] : d;
}

const sgd: Update = (p, g, [buf], h) => {
  for (let i = 0; i < p.length; i++) {
    let d = direction(p, g, i, h);
    if (h.momentum !== 0) {
      buf[i] = h.step === 1 ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
      d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
    }
    p[i] -= h.lr * d;
  }
};

const asgd: Update = (p, g, [ax], h) => {
  const decay = 1 - h.lambd * h.eta;
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    p[i] *= decay;
    p[i] -= h.eta * d;
    ax[i] = h.mu !== 1 ? ax[i] + (p[i] - ax[i]) * h.mu : p[i];
  }
};

const adagrad: Update = (p, g, [sum], h) => {
  const clr = adagradLr(h);
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    sum[i] += d * d;
    p[i] -= clr * (d / (Math.sqrt(sum[i]) + h.eps));
  }
};

const adadelta: Update = (p, g, [squareAvg, accDelta], h) => {
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    squareAvg[i] = h.rho * squareAvg[i] + (1 - h.rho) * d * d;
    const std = Math.sqrt(squareAvg[i] + h.eps);
    const delta = Math.fround(Math.sqrt(accDelta[i] + h.eps) / std * d);
    accDelta[i] = h.rho * accDelta[i] + (1 - h.rho) * delta * delta;
    p[i] -= h.lr * delta;
  }
};

const rmsprop: Update = (p, g, [squareAvg, buf, gradAvg], h) => {
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    squareAvg[i] = h.alpha * squareAvg[i] + (1 - h.alpha) * d * d;
    let avg: number;
    if (h.centered) {
      gradAvg[i] = h.alpha * gradAvg[i] + (1 - h.alpha) * d;
      avg = Math.sqrt(Math.fround(squareAvg[i] - gradAvg[i] * gradAvg[i]));
    } else {
      avg = Math.sqrt(squareAvg[i]);
    }
    avg = Math.fround(avg + h.eps);
    if (h.momentum > 0) {
      buf[i] = h.momentum * buf[i] + d / avg;
      p[i] -= h.lr * buf[i];
    } else {
      p[i] -= h.lr * (d / avg);
    }
  }
};

const adamFamily = (decoupled: boolean): Update => (p, g, [m, v, vmax], h) => {
  const stepSize = adamStepSize(h);
  const bc2Sqrt = biasCorrection2Sqrt(h);
  for (let i = 0; i < p.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    if (decoupled) p[i] *= 1 - h.lr * h.weightDecay;
    else if (h.weightDecay !== 0) d += h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    let second = v[i];
    if (h.amsgrad) second = vmax[i] = Math.max(vmax[i], v[i]);
    p[i] -= stepSize * (m[i] / Math.fround(Math.sqrt(second) / bc2Sqrt + h.eps));
  }
};

const adamax: Update = (p, g, [m, expInf], h) => {
  const clr = adamStepSize(h);
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    expInf[i] = Math.max(Math.fround(h.beta2 * expInf[i]), Math.fround(Math.abs(d) + h.eps));
    p[i] -= clr * (m[i] / expInf[i]);
  }
};

const nadam: Update = (p, g, [m, v], h) => {
  const bc2 = 1 - h.beta2 ** h.step;
  const c = nadamCoefficients(h);
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    const denom = Math.fround(Math.sqrt(Math.fround(v[i] / bc2)) + h.eps);
    p[i] -= c.grad * (d / denom);
    p[i] -= c.avg * (m[i] / denom);
  }
};

const radam: Update = (p, g, [m, v], h) => {
  const bc1 = 1 - h.beta1 ** h.step;
  const bc2Sqrt = biasCorrection2Sqrt(h);
  const rect = radamRectification(h);
  for (let i = 0; i < p.length; i++) {
    const d = direction(p, g, i, h);
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    const corrected = Math.fround(Math.fround(m[i] / bc1) * h.lr);
    if (rect === null) {
      p[i] -= corrected;
    } else {
      const adaptive = Math.fround(bc2Sqrt / Math.fround(Math.sqrt(v[i]) + h.eps));
      p[i] -= Math.fround(corrected * adaptive) * rect;
    }
  }
};

const rprop: Update = (p, g, [prev, stepSize], h) => {
  for (let i = 0; i < p.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    const sign = Math.sign(d * prev[i]);
    const factor = sign > 0 ? h.etaPlus : sign < 0 ? h.etaMinus : 1;
    const size = (h.step === 1 ? h.lr : stepSize[i]) * factor;
    stepSize[i] = Math.min(Math.max(Math.fround(size), h.stepSizeMin), h.stepSizeMax);
    if (sign < 0) d = 0;
    p[i] -= Math.sign(d) * stepSize[i];
    prev[i] = d;
  }
};

const sparseAdam: Update = (p, g, [m, v], h) => {
  const stepSize = sparseAdamStepSize(h);
  for (let row = 0; row < p.length; row += h.rowSize) {
    const end = Math.min(row + h.rowSize, p.length);
    let present = false;
    for (let i = row; i < end && !present; i++) present = g[i] !== 0;
    if (!present) continue;
    for (let i = row; i < end; i++) {
      const d = h.maximize ? -g[i] : g[i];
      const dm = Math.fround((d - m[i]) * (1 - h.beta1));
      const dv = Math.fround((d * d - v[i]) * (1 - h.beta2));
      const numer = Math.fround(dm + m[i]);
      const denom = Math.fround(Math.sqrt(Math.fround(dv + v[i])) + h.eps);
      m[i] += dm;
      v[i] += dv;
      p[i] += Math.fround(-stepSize * Math.fround(numer / denom));
    }
  }
};

const updates: Record<OptimizerKind, Update> = {
  sgd,
  asgd,
  adagrad,
  adadelta,
  rmsprop,
  adam: adamFamily(false),
  adamw: adamFamily(true),
  adamax,
  nadam,
  radam,
  rprop,
  "sparse-adam": sparseAdam,
};
