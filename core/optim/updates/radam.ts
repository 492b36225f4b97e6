/**
 * `optim.RAdam`: Adam whose adaptive term is rectified, and left out while the variance estimate is unreliable.
 *
 * @module
 */

import { defineOptimizer } from "../optimizer_record.ts";
import { biasCorrection2Sqrt, radamRectification } from "../step_scalars.ts";
import {
  betasArg,
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  epsArg,
  f32,
  flag,
  lrArg,
  MOMENTS,
  MOMENTS_WGSL,
  weightDecayArg,
} from "./common.ts";
import source from "./radam.wgsl" with { type: "text" };

/** RAdam's record. */
export const radam = defineOptimizer({
  name: "radam",
  pytorch: "optim.RAdam",
  cycledMomentum: "beta1",
  args: [lrArg(1e-3), betasArg, epsArg(1e-8), weightDecayArg],
  kernel: {
    name: "radam",
    stateNames: ["exp_avg", "exp_avg_sq"],
    update: (p, g, [m, v], h) => {
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
    },
    fields: [
      ...DIRECTION,
      ...MOMENTS,
      f32("lr", (h) => h.lr),
      f32("bias_correction1", (h) => 1 - h.beta1 ** h.step),
      f32("bias_correction2_sqrt", biasCorrection2Sqrt),
      flag("rectified", (h) => radamRectification(h) !== null),
      f32("rect", (h) => radamRectification(h) ?? 0),
    ],
    wgsl: [DIRECTION_WGSL, MOMENTS_WGSL, source],
  },
});
