/**
 * `optim.RMSprop`: steps scaled by a running average of squared gradients, optionally centered and with momentum.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import {
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  epsArg,
  f32,
  flag,
  lrArg,
  maximizeArg,
  weightDecayArg,
} from "./common.ts";
import source from "./rmsprop.wgsl" with { type: "text" };

/** RMSprop's record. */
export const rmsprop = defineOptimizer({
  name: "rmsprop",
  pytorch: "optim.RMSprop",
  cycledMomentum: "momentum",
  checkSettings: (s, require) =>
    require(s.alpha >= 0, "alpha", `expected a value >= 0, got ${s.alpha}`),
  args: [
    lrArg(1e-2),
    arg("alpha", 0.99, "smoothing constant of the squared-gradient average"),
    epsArg(1e-8),
    weightDecayArg,
    arg("momentum", 0, "momentum factor"),
    arg("centered", false, "normalise by the gradient's estimated variance"),
    maximizeArg,
  ],
  kernel: {
    name: "rmsprop",
    stateNames: ["square_avg", "momentum_buffer", "grad_avg"],
    update: (p, g, [squareAvg, buf, gradAvg], h) => {
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
    },
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("alpha", (h) => h.alpha),
      f32("one_minus_alpha", (h) => 1 - h.alpha),
      f32("eps", (h) => h.eps),
      f32("momentum", (h) => h.momentum),
      flag("centered", (h) => h.centered),
    ],
    wgsl: [DIRECTION_WGSL, source],
  },
});
