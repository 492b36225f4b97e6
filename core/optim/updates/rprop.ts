/**
 * `optim.Rprop`: per-element step sizes grown or shrunk by the sign agreement of successive gradients.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import { f32, flag, lrArg, maximizeArg, u32 } from "./common.ts";
import source from "./rprop.wgsl" with { type: "text" };

/** Rprop's record. */
export const rprop = defineOptimizer({
  name: "rprop",
  pytorch: "optim.Rprop",
  args: [
    lrArg(1e-2),
    arg("etas", [0.5, 1.2], "step-size factors when the gradient flips sign / keeps it"),
    arg("step_sizes", [1e-6, 50], "smallest and largest step size"),
    maximizeArg,
  ],
  kernel: {
    name: "rprop",
    stateNames: ["prev", "step_size"],
    update: (p, g, [prev, stepSize], h) => {
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
    },
    fields: [
      u32("n", (_, n) => n),
      flag("maximize", (h) => h.maximize),
      f32("lr", (h) => h.lr),
      f32("eta_minus", (h) => h.etaMinus),
      f32("eta_plus", (h) => h.etaPlus),
      f32("step_size_min", (h) => h.stepSizeMin),
      f32("step_size_max", (h) => h.stepSizeMax),
      flag("first_step", (h) => h.step === 1),
    ],
    wgsl: [source],
  },
});
