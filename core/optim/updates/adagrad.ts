/**
 * `optim.Adagrad`: per-element learning rates from the running sum of squared gradients.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import { adagradLr } from "../step_scalars.ts";
import source from "./adagrad.wgsl" with { type: "text" };
import {
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  epsArg,
  f32,
  lrArg,
  maximizeArg,
  weightDecayArg,
} from "./common.ts";

/** Adagrad's record. */
export const adagrad = defineOptimizer({
  name: "adagrad",
  pytorch: "optim.Adagrad",
  args: [
    lrArg(1e-2),
    arg("lr_decay", 0, "learning-rate decay per step"),
    weightDecayArg,
    arg("initial_accumulator_value", 0, "starting value of the squared-gradient sum"),
    epsArg(1e-10),
    maximizeArg,
  ],
  kernel: {
    name: "adagrad",
    stateNames: ["sum"],
    update: (p, g, [sum], h) => {
      const clr = adagradLr(h);
      for (let i = 0; i < p.length; i++) {
        const d = direction(p, g, i, h);
        sum[i] += d * d;
        p[i] -= clr * (d / (Math.sqrt(sum[i]) + h.eps));
      }
    },
    fields: [...DIRECTION, f32("clr", adagradLr), f32("eps", (h) => h.eps)],
    wgsl: [DIRECTION_WGSL, source],
  },
});
