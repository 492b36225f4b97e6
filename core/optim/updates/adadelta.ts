/**
 * `optim.Adadelta`: steps scaled by running averages of squared gradients and squared updates.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import source from "./adadelta.wgsl" with { type: "text" };
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

/** Adadelta's record. */
export const adadelta = defineOptimizer({
  name: "adadelta",
  pytorch: "optim.Adadelta",
  args: [
    lrArg(1),
    arg("rho", 0.9, "decay rate of the running averages"),
    epsArg(1e-6),
    weightDecayArg,
    maximizeArg,
  ],
  kernel: {
    name: "adadelta",
    stateNames: ["square_avg", "acc_delta"],
    update: (p, g, [squareAvg, accDelta], h) => {
      for (let i = 0; i < p.length; i++) {
        const d = direction(p, g, i, h);
        squareAvg[i] = h.rho * squareAvg[i] + (1 - h.rho) * d * d;
        const std = Math.sqrt(squareAvg[i] + h.eps);
        const delta = Math.fround(Math.sqrt(accDelta[i] + h.eps) / std * d);
        accDelta[i] = h.rho * accDelta[i] + (1 - h.rho) * delta * delta;
        p[i] -= h.lr * delta;
      }
    },
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("rho", (h) => h.rho),
      f32("one_minus_rho", (h) => 1 - h.rho),
      f32("eps", (h) => h.eps),
    ],
    wgsl: [DIRECTION_WGSL, source],
  },
});
