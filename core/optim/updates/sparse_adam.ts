/**
 * `optim.SparseAdam`: Adam that updates only the rows (`rowSize` elements) with a nonzero gradient, for an `Embedding`'s sparse gradients.
 *
 * @module
 */

import { defineOptimizer } from "../optimizer_record.ts";
import { sparseAdamStepSize } from "../step_scalars.ts";
import { betasArg, epsArg, f32, flag, lrArg, maximizeArg, u32 } from "./common.ts";
import source from "./sparse_adam.wgsl" with { type: "text" };

/** SparseAdam's record. */
export const sparseAdam = defineOptimizer({
  name: "sparse-adam",
  pytorch: "optim.SparseAdam",
  cycledMomentum: "beta1",
  rowWise: true,
  // Unlike Adam, SparseAdam refuses a learning rate or eps of 0.
  checkSettings: (s, require) => {
    require(s.lr > 0, "lr", `expected a learning rate > 0, got ${s.lr}`);
    require(s.eps > 0, "eps", `expected eps > 0, got ${s.eps}`);
  },
  args: [lrArg(1e-3), betasArg, epsArg(1e-8), maximizeArg],
  kernel: {
    name: "sparse-adam",
    stateNames: ["exp_avg", "exp_avg_sq"],
    update: (p, g, [m, v], h) => {
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
    },
    fields: [
      u32("n", (_, n) => n),
      flag("maximize", (h) => h.maximize),
      u32("row_size", (h) => h.rowSize),
      f32("one_minus_beta1", (h) => 1 - h.beta1),
      f32("one_minus_beta2", (h) => 1 - h.beta2),
      f32("eps", (h) => h.eps),
      f32("step_size", sparseAdamStepSize),
    ],
    wgsl: [source],
  },
});
