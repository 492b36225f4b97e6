/**
 * `optim.SGD`: stochastic gradient descent with optional momentum, dampening and Nesterov momentum.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import {
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  f32,
  flag,
  lrArg,
  maximizeArg,
  weightDecayArg,
} from "./common.ts";
import source from "./sgd.wgsl" with { type: "text" };

/** SGD's record. */
export const sgd = defineOptimizer({
  name: "sgd",
  pytorch: "optim.SGD",
  cycledMomentum: "momentum",
  args: [
    lrArg(0.01),
    arg("momentum", 0, "momentum factor"),
    arg("dampening", 0, "dampening for momentum"),
    weightDecayArg,
    arg("nesterov", false, "Nesterov momentum (needs momentum > 0, dampening 0)"),
    maximizeArg,
  ],
  kernel: {
    name: "sgd",
    stateNames: ["momentum_buffer"],
    update: (p, g, [buf], h) => {
      for (let i = 0; i < p.length; i++) {
        let d = direction(p, g, i, h);
        if (h.momentum !== 0) {
          buf[i] = h.step === 1 ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
          d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
        }
        p[i] -= h.lr * d;
      }
    },
    fields: [
      ...DIRECTION,
      f32("lr", (h) => h.lr),
      f32("momentum", (h) => h.momentum),
      f32("one_minus_dampening", (h) => 1 - h.dampening),
      flag("first_step", (h) => h.step === 1),
      flag("nesterov", (h) => h.nesterov),
    ],
    wgsl: [DIRECTION_WGSL, source],
  },
});
