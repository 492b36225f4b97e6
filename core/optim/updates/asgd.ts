/**
 * `optim.ASGD`: averaged SGD. Its `eta` and `mu` are host-kept scalar state that arrive in the hyper-parameters.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import source from "./asgd.wgsl" with { type: "text" };
import {
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  f32,
  lrArg,
  maximizeArg,
  weightDecayArg,
} from "./common.ts";

/** ASGD's record. */
export const asgd = defineOptimizer({
  name: "asgd",
  pytorch: "optim.ASGD",
  scalarState: {
    names: ["eta", "mu"],
    before: (hyper, s, { lr }) => {
      hyper.eta = s.eta ??= Math.fround(lr);
      hyper.mu = s.mu ??= 1;
    },
    // The next step's eta and mu, stored in float32 as PyTorch stores them.
    after: (h, s, { lr, lambd, alpha, t0 }) => {
      s.eta = Math.fround(lr / Math.pow(1 + lambd * lr * h.step, alpha));
      s.mu = Math.fround(1 / Math.max(1, h.step - t0));
    },
  },
  args: [
    lrArg(1e-2),
    arg("lambd", 1e-4, "decay term"),
    arg("alpha", 0.75, "power for the eta update"),
    arg("t0", 1e6, "step at which averaging starts"),
    weightDecayArg,
    maximizeArg,
  ],
  kernel: {
    name: "asgd",
    stateNames: ["ax"],
    update: (p, g, [ax], h) => {
      const decay = 1 - h.lambd * h.eta;
      for (let i = 0; i < p.length; i++) {
        const d = direction(p, g, i, h);
        p[i] *= decay;
        p[i] -= h.eta * d;
        ax[i] = h.mu !== 1 ? ax[i] + (p[i] - ax[i]) * h.mu : p[i];
      }
    },
    fields: [
      ...DIRECTION,
      f32("decay", (h) => 1 - h.lambd * h.eta),
      f32("eta", (h) => h.eta),
      f32("mu", (h) => h.mu),
    ],
    wgsl: [DIRECTION_WGSL, source],
  },
});
