/**
 * `optim.Adamax`: Adam with the infinity norm in place of the second moment.
 *
 * @module
 */

import { defineOptimizer } from "../optimizer_record.ts";
import { adamStepSize } from "../step_scalars.ts";
import source from "./adamax.wgsl" with { type: "text" };
import {
  betasArg,
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  epsArg,
  f32,
  lrArg,
  maximizeArg,
  MOMENTS,
  weightDecayArg,
} from "./common.ts";

/** Adamax's record. */
export const adamax = defineOptimizer({
  name: "adamax",
  pytorch: "optim.Adamax",
  cycledMomentum: "beta1",
  args: [lrArg(2e-3), betasArg, epsArg(1e-8), weightDecayArg, maximizeArg],
  kernel: {
    name: "adamax",
    stateNames: ["exp_avg", "exp_inf"],
    update: (p, g, [m, expInf], h) => {
      const clr = adamStepSize(h);
      for (let i = 0; i < p.length; i++) {
        const d = direction(p, g, i, h);
        m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
        expInf[i] = Math.max(Math.fround(h.beta2 * expInf[i]), Math.fround(Math.abs(d) + h.eps));
        p[i] -= clr * (m[i] / expInf[i]);
      }
    },
    fields: [...DIRECTION, ...MOMENTS, f32("clr", adamStepSize)],
    wgsl: [DIRECTION_WGSL, source],
  },
});
