/**
 * `optim.Adam` and `optim.AdamW`: one kernel, the weight decay added to the gradient (Adam) or decoupled from it (AdamW).
 *
 * @module
 */

import type { UpdateKernel } from "../../backend.ts";
import { type CatalogArg, catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import { adamStepSize, biasCorrection2Sqrt } from "../step_scalars.ts";
import source from "./adam.wgsl" with { type: "text" };
import {
  betasArg,
  DIRECTION,
  epsArg,
  f32,
  flag,
  lrArg,
  maximizeArg,
  MOMENTS,
  MOMENTS_WGSL,
  weightDecayArg,
} from "./common.ts";

function adamArgs(decoupledDecay: number): CatalogArg[] {
  return [
    lrArg(1e-3),
    betasArg,
    epsArg(1e-8),
    decoupledDecay ? arg("weight_decay", decoupledDecay, "decoupled weight decay") : weightDecayArg,
    arg("amsgrad", false, "use the maximum of past squared-gradient averages (AMSGrad)"),
    maximizeArg,
  ];
}

function adamKernel(decoupled: boolean): UpdateKernel {
  return {
    name: decoupled ? "adamw" : "adam",
    stateNames: ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"],
    update: (p, g, [m, v, vmax], h) => {
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
    },
    fields: [
      ...DIRECTION,
      ...MOMENTS,
      f32("decay_factor", (h) => 1 - h.lr * h.weightDecay),
      f32("step_size", adamStepSize),
      f32("bias_correction2_sqrt", biasCorrection2Sqrt),
      flag("amsgrad", (h) => h.amsgrad),
      flag("decoupled", () => decoupled),
    ],
    wgsl: [MOMENTS_WGSL, source],
  };
}

/** Adam's record. */
export const adam = defineOptimizer({
  name: "adam",
  pytorch: "optim.Adam",
  cycledMomentum: "beta1",
  args: adamArgs(0),
  kernel: adamKernel(false),
});

/** AdamW's record. */
export const adamw = defineOptimizer({
  name: "adamw",
  pytorch: "optim.AdamW",
  cycledMomentum: "beta1",
  args: adamArgs(1e-2),
  kernel: adamKernel(true),
});
