/**
 * Turns one rank's {@link Link} (or a runner of all-reduces on another thread) into the `mesh` that `fit` trains with: gradient, metric
 * and `--sync-bn` sums from a {@link GradientReducer}, and after every step the step counter, a
 * hook for heartbeats and, every `checksumEvery` steps, a parameter checksum across ranks.
 *
 * @module
 */

import type { FitMesh } from "../../core/train/fit.ts";
import {
  type AllReduceRunner,
  GradientReducer,
  type GradientReducerOptions,
} from "./gradient_reducer.ts";
import type { Link } from "../transport/link.ts";
import { checkParametersAgree } from "./param_checksum.ts";
import type { StepTiming } from "./coordinator_client.ts";

/** Default number of steps between parameter checksums. */
export const DEFAULT_CHECKSUM_EVERY = 100;

/** Options of {@link meshForFit}. */
export interface MeshForFitOptions extends GradientReducerOptions {
  /** Compare parameter checksums every this many steps; 0 never. Default {@link DEFAULT_CHECKSUM_EVERY}. */
  readonly checksumEvery?: number;
  /**
   * Called after every step with the global step number and how long it took since the
   * previous one (absent after the first), with its gradient all-reduce.
   */
  readonly onStep?: (step: number, timing: StepTiming) => void;
}

/**
 * The `FitMesh` of rank `options.rank`.
 *
 * @example Four ranks in one process
 * ```ts
 * import { createCpuBackend } from "../../core/cpu/backend.ts";
 * import { buildTrainer, defaultTrainConfig } from "../../core/train/config.ts";
 * import { planForTrainer } from "./bucket_plan.ts";
 * import { meshForFit } from "./fit_mesh.ts";
 * import { memoryMesh } from "../transport/memory_link.ts";
 * const config = { ...defaultTrainConfig, model: "784-32-10" };
 * const links = memoryMesh(4);
 * const trainers = links.map(() => buildTrainer(config, createCpuBackend()));
 * const plan = planForTrainer(trainers[0], 4, false); // 25,450 floats of gradient
 * const meshes = links.map((link, rank) =>
 *   meshForFit(link, { rank, plan, backend: trainers[rank].flat.backend })
 * );
 * // fit(trainers[rank], config, data, { ...options, mesh: meshes[rank] }) on every rank
 * ```
 */
export function meshForFit(link: Link | AllReduceRunner, options: MeshForFitOptions): FitMesh {
  const { rank, plan, signal } = options;
  const reducer = new GradientReducer(link, options);
  const every = options.checksumEvery ?? DEFAULT_CHECKSUM_EVERY;
  let lastStepEnd: number | undefined;
  return {
    rank,
    world: plan.world,
    reduceGradients: reducer.reduceGradients,
    sumAcross: reducer.sumAcross,
    sumBatchNorm: (layer, pass, values) =>
      reducer.allReduce(plan.batchNormBucket(layer, pass), values, reducer.step),
    async afterStep(step, trainer) {
      signal?.throwIfAborted();
      reducer.step = step + 1;
      const now = performance.now();
      options.onStep?.(step, {
        ...(lastStepEnd !== undefined && { stepMs: now - lastStepEnd }),
        ...(reducer.lastReduceMs !== null && { allReduceMs: reducer.lastReduceMs }),
      });
      lastStepEnd = now;
      if (every === 0 || step % every !== 0 || plan.world === 1) return;
      const { flat } = trainer;
      await checkParametersAgree(await flat.backend.read(flat.params), {
        rank,
        world: plan.world,
        step,
        sum: async (vector) => {
          await reducer.allReduce(plan.checksumBucket, vector, step);
          return vector;
        },
        addressOf: (r) => link.peerAddress(r),
      });
    },
  };
}
