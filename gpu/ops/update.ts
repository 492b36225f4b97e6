/**
 * The WebGPU backend's parameter-update ops: one fused optimizer kernel over the flat
 * parameter buffer, gradient clipping by norm and by value, and the non-finite check.
 *
 * @module
 */

import type { Backend, OptimizerStepArgs, Storage } from "../../core/backend.ts";
import { ShapeError } from "../../core/errors.ts";
import { clampAbsKernel, scaleToNormKernel } from "../kernels/clip.ts";
import { FLAT_WORKGROUP } from "../kernels/kernel.ts";
import { nonFiniteFlagKernel, nonFinitePartialsKernel } from "../kernels/non_finite.ts";
import { updateKernel } from "../kernels/optimizer.ts";
import { TOTAL_PARTIALS } from "../kernels/total_reduce.ts";
import { flatGroups, type OpContext } from "../op_context.ts";

/** The update methods of a {@link Backend}. */
export type UpdateOps = Pick<
  Backend,
  "optimizerStep" | "markNonFinite" | "scaleToNorm" | "clampAbs"
>;

/** {@link UpdateOps} recorded through `ctx`. */
export function updateOps(ctx: OpContext): UpdateOps {
  return {
    optimizerStep({ kernel, params, grads, state, hyper }: OptimizerStepArgs): void {
      const names = kernel.stateNames;
      if (state.length !== names.length) {
        throw new ShapeError(
          "optimizerStep",
          `${kernel.name} keeps ${names.length} state buffers (${names.join(", ")}), got ` +
            `${state.length}`,
        );
      }
      const n = params.size;
      ctx.run(
        updateKernel(kernel),
        [params, grads, ...state],
        kernel.fields.map((f) => f.value(hyper, n)),
        flatGroups(n),
      );
    },

    markNonFinite(flag: Storage, x: Storage, mark: number): void {
      if (x.size === 0) return;
      const groups = Math.min(TOTAL_PARTIALS, Math.ceil(x.size / FLAT_WORKGROUP));
      const partials = ctx.allocate(2 * groups);
      ctx.run(nonFinitePartialsKernel(), [x, partials], [x.size], groups);
      ctx.run(nonFiniteFlagKernel(), [partials, flag], [groups, mark], 1);
    },

    scaleToNorm(x: Storage, norm: Storage, maxNorm: number): void {
      ctx.run(scaleToNormKernel(), [x, norm], [x.size, maxNorm], flatGroups(x.size));
    },

    clampAbs(x: Storage, limit: number): void {
      ctx.run(clampAbsKernel(), [x], [x.size, limit], flatGroups(x.size));
    },
  };
}
