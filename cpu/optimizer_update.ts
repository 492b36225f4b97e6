/**
 * Which optimizer updates the kernels of cpu/kernels/optimizer.c run (SGD, Adam, AdamW), and
 * the descriptor scalars and flags of one update, taken from the same hyper-parameters and
 * per-step scalars (core/optim/step_scalars.ts) as the reference loops.
 *
 * @module
 */

import type { OptimizerHyper } from "../core/backend.ts";
import { adamStepSize, biasCorrection2Sqrt } from "../core/optim/step_scalars.ts";
import { UPDATE_FLAGS, UPDATE_JOB, UPDATE_KINDS } from "./thread_protocol.ts";

/** One update as the kernels take it: its kind, flag bits and float64 scalars. */
export interface UpdateSettings {
  /** A value of {@link UPDATE_KINDS}. */
  kind: number;
  /** Bits of {@link UPDATE_FLAGS}. */
  flags: number;
  /** The descriptor's scalars, in {@link UPDATE_JOB} order. */
  doubles: Float64Array;
}

/** The kernels' settings for optimizer kernel `name` at `h`, or null when they lack it. */
export function updateSettings(name: string, h: OptimizerHyper): UpdateSettings | null {
  if (!Object.hasOwn(UPDATE_KINDS, name)) return null;
  const adam = name !== "sgd";
  const f = UPDATE_FLAGS;
  const flags = (h.maximize ? f.maximize : 0) | (h.weightDecay !== 0 ? f.decay : 0) |
    (h.momentum !== 0 ? f.momentum : 0) | (h.step === 1 ? f.first : 0) |
    (h.nesterov ? f.nesterov : 0) | (name === "adamw" ? f.decoupled : 0) |
    (h.amsgrad ? f.amsgrad : 0);
  const doubles = new Float64Array(UPDATE_JOB.doubles);
  doubles[UPDATE_JOB.lr] = h.lr;
  doubles[UPDATE_JOB.weightDecay] = h.weightDecay;
  doubles[UPDATE_JOB.momentum] = h.momentum;
  doubles[UPDATE_JOB.keep] = 1 - h.dampening;
  doubles[UPDATE_JOB.beta1] = h.beta1;
  doubles[UPDATE_JOB.oneMinusBeta1] = 1 - h.beta1;
  doubles[UPDATE_JOB.beta2] = h.beta2;
  doubles[UPDATE_JOB.oneMinusBeta2] = 1 - h.beta2;
  doubles[UPDATE_JOB.eps] = h.eps;
  if (adam) {
    doubles[UPDATE_JOB.stepSize] = adamStepSize(h);
    doubles[UPDATE_JOB.biasCorrection2Sqrt] = biasCorrection2Sqrt(h);
    doubles[UPDATE_JOB.decayFactor] = 1 - h.lr * h.weightDecay;
  }
  return { kind: UPDATE_KINDS[name], flags, doubles };
}
