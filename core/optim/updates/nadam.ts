/**
 * `optim.NAdam`: Adam with Nesterov momentum. Its `mu_product` is host-kept scalar state that arrives in the hyper-parameters.
 *
 * @module
 */

import { catalogArg as arg } from "../../catalog.ts";
import { defineOptimizer } from "../optimizer_record.ts";
import { nadamCoefficients, nadamMuProduct } from "../step_scalars.ts";
import {
  betasArg,
  DIRECTION,
  direction,
  DIRECTION_WGSL,
  epsArg,
  f32,
  lrArg,
  MOMENTS,
  MOMENTS_WGSL,
  weightDecayArg,
} from "./common.ts";
import source from "./nadam.wgsl" with { type: "text" };

/** NAdam's record. */
export const nadam = defineOptimizer({
  name: "nadam",
  pytorch: "optim.NAdam",
  cycledMomentum: "beta1",
  checkSettings: (s, require) =>
    require(
      s.momentumDecay >= 0,
      "momentum_decay",
      `expected a value >= 0, got ${s.momentumDecay}`,
    ),
  scalarState: {
    names: ["mu_product"],
    before: (hyper, s) => {
      hyper.muProduct = s.mu_product = nadamMuProduct(hyper, s.mu_product ?? 1);
    },
  },
  args: [
    lrArg(2e-3),
    betasArg,
    epsArg(1e-8),
    weightDecayArg,
    arg("momentum_decay", 4e-3, "momentum decay of the μ schedule"),
  ],
  kernel: {
    name: "nadam",
    stateNames: ["exp_avg", "exp_avg_sq"],
    update: (p, g, [m, v], h) => {
      const bc2 = 1 - h.beta2 ** h.step;
      const c = nadamCoefficients(h);
      for (let i = 0; i < p.length; i++) {
        const d = direction(p, g, i, h);
        m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
        v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
        const denom = Math.fround(Math.sqrt(Math.fround(v[i] / bc2)) + h.eps);
        p[i] -= c.grad * (d / denom);
        p[i] -= c.avg * (m[i] / denom);
      }
    },
    fields: [
      ...DIRECTION,
      ...MOMENTS,
      f32("bias_correction2", (h) => 1 - h.beta2 ** h.step),
      f32("grad_coef", (h) => nadamCoefficients(h).grad),
      f32("avg_coef", (h) => nadamCoefficients(h).avg),
    ],
    wgsl: [DIRECTION_WGSL, MOMENTS_WGSL, source],
  },
});
