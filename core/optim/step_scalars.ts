/**
 * The per-step scalars of each update — bias corrections, Adagrad's decayed lr, NAdam's
 * coefficients, RAdam's rectification — computed on the host in float64 the way
 * PyTorch 1.13's single-tensor code computes them in Python. The CPU reference and the
 * GPU kernels' uniforms both take them from here.
 *
 * @module
 */

import type { OptimizerHyper } from "../backend.ts";

/** Adam's `lr / (1 − β₁ᵗ)`. */
export function adamStepSize(h: OptimizerHyper): number {
  return h.lr / (1 - h.beta1 ** h.step);
}

/** Adam's `sqrt(1 − β₂ᵗ)`. */
export function biasCorrection2Sqrt(h: OptimizerHyper): number {
  return Math.sqrt(1 - h.beta2 ** h.step);
}

/** Adagrad's decayed lr `lr / (1 + (t − 1)·lr_decay)`. */
export function adagradLr(h: OptimizerHyper): number {
  return h.lr / (1 + (h.step - 1) * h.lrDecay);
}

/** NAdam's μₜ = β₁·(1 − ½·0.96^(t·momentum_decay)). */
export function nadamMu(h: OptimizerHyper, step: number): number {
  return h.beta1 * (1 - 0.5 * 0.96 ** (step * h.momentumDecay));
}

/** The coefficients of NAdam's two `addcdiv_`s: on the gradient and on `exp_avg`. */
export function nadamCoefficients(h: OptimizerHyper): { grad: number; avg: number } {
  const mu = nadamMu(h, h.step);
  const muNext = nadamMu(h, h.step + 1);
  // PyTorch 1.13 keeps mu_product as a float32 tensor and forms mu_product·μ·μ_next
  // (μ twice, as that release does) in float32.
  const next = Math.fround(Math.fround(h.muProduct * Math.fround(mu)) * Math.fround(muNext));
  return {
    grad: h.lr * (1 - mu) / (1 - h.muProduct),
    avg: h.lr * muNext / (1 - next),
  };
}

/** NAdam's mu_product after the update of `step`, from the value before it (float32). */
export function nadamMuProduct(h: OptimizerHyper, before: number): number {
  return Math.fround(before * Math.fround(nadamMu(h, h.step)));
}

/** RAdam's rectification term, or null while ρₜ ≤ 5 (the un-adapted update). */
export function radamRectification(h: OptimizerHyper): number | null {
  const bc2 = 1 - h.beta2 ** h.step;
  const rhoInf = 2 / (1 - h.beta2) - 1;
  const rhoT = rhoInf - 2 * h.step * (h.beta2 ** h.step) / bc2;
  if (!(rhoT > 5)) return null;
  return Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
}

/** SparseAdam's `lr·sqrt(1 − β₂ᵗ) / (1 − β₁ᵗ)`. */
export function sparseAdamStepSize(h: OptimizerHyper): number {
  return h.lr * Math.sqrt(1 - h.beta2 ** h.step) / (1 - h.beta1 ** h.step);
}
