/**
 * Regression objectives by `--loss` name (`--task regression`): `[N, T]` outputs against
 * `[N, T]` numeric targets with PyTorch's `reduction`. `mean` averages over all N·T
 * targets of the global batch (each shard's sum is divided by it, so that data-parallel
 * ranks sum to the single-process loss); `sum` adds them. The metrics file records the
 * loss per target either way, so that runs with either reduction compare.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { mseLoss } from "../loss/mse.ts";
import { huberLoss, l1Loss, logCoshLoss, quantileLoss, smoothL1Loss } from "../loss/regression.ts";
import { scale } from "../ops.ts";
import type { Tensor } from "../tensor.ts";
import { type Objective, type ObjectiveArgs, objectiveByName, objectiveDefs } from "./objective.ts";
import type { RegressionSettings } from "./regression_settings.ts";

/** The arguments the regression losses read. */
export type RegressionArgs =
  & Pick<ObjectiveArgs, "huberDelta" | "smoothL1Beta">
  & Pick<RegressionSettings, "quantile" | "reduction">;

/** One regression `--loss`: its description and its sum over every target. */
interface RegressionLossDef {
  readonly doc: string;
  readonly sum: (out: Tensor, y: Tensor, a: RegressionArgs) => Tensor;
}

/** Every regression `--loss` by name. */
export const regressionLossDefs: Readonly<Record<string, RegressionLossDef>> = {
  mse: { doc: "nn.MSELoss", sum: (o, y) => mseLoss(o, y, "sum") },
  l1: { doc: "nn.L1Loss", sum: (o, y) => l1Loss(o, y, "sum") },
  huber: {
    doc: "nn.HuberLoss(delta=--huber-delta)",
    sum: (o, y, a) => huberLoss(o, y, { reduction: "sum", delta: a.huberDelta }),
  },
  "smooth-l1": {
    doc: "nn.SmoothL1Loss(beta=--smooth-l1-beta)",
    sum: (o, y, a) => smoothL1Loss(o, y, { reduction: "sum", beta: a.smoothL1Beta }),
  },
  "log-cosh": { doc: "log cosh(ŷ − y)", sum: (o, y) => logCoshLoss(o, y, "sum") },
  quantile: {
    doc: "pinball loss of the --quantile τ: max(τ(y − ŷ), (τ − 1)(y − ŷ))",
    sum: (o, y, a) => quantileLoss(o, y, { reduction: "sum", q: a.quantile }),
  },
};

/**
 * The regression objective `name` with `args`, or a UsageError naming `--loss` or the
 * bad argument.
 *
 * @example
 * ```ts
 * import { createCpuBackend, tensor } from "../../mod.ts";
 * import { regressionObjective } from "./regression_objective.ts";
 * const b = createCpuBackend();
 * const loss = regressionObjective("l1", { huberDelta: 1, smoothL1Beta: 1, quantile: 0.5, reduction: "mean" });
 * console.log(await loss(tensor(b, [1, 3], [2, 1]), tensor(b, [0, 0], [2, 1]), 2).toArray()); // [2]
 * ```
 */
export function regressionObjective(name: string, args: RegressionArgs): Objective {
  const def = regressionLossDefs[name];
  if (!def) {
    throw new UsageError(
      "loss",
      `expected a regression loss (${Object.keys(regressionLossDefs).join(", ")}), got "${name}"`,
    );
  }
  if (!(args.quantile > 0 && args.quantile < 1)) {
    throw new UsageError("quantile", `expected a value in (0, 1), got ${args.quantile}`);
  }
  if (!(args.huberDelta > 0)) {
    throw new UsageError("huberDelta", `expected a value > 0, got ${args.huberDelta}`);
  }
  const sum = args.reduction === "sum";
  const objective = (out: Tensor, y: Tensor, n: number) =>
    scale(def.sum(out, y, args), sum ? 1 : 1 / (n * targetsOf(out)));
  // A summed value is already the batch total; the record divides it per target.
  return sum
    ? Object.assign(objective, { recordScale: (_: number, t: number) => 1 / t })
    : objective;
}

/** Targets per sample of `[N, T]` outputs. */
const targetsOf = (out: Tensor) => out.shape[1] ?? 1;

/** The objective of `config`: a regression loss for `--task regression`, else a class loss. */
export function taskObjective(
  config: ObjectiveArgs & RegressionSettings & { loss: string },
): Objective {
  if (config.task !== "regression") return objectiveByName(config.loss, config);
  // Class-score arguments would be ignored by a regression loss: refused, not dropped.
  if (config.softmaxOutput) {
    throw new UsageError("softmaxOutput", "a regression run compares raw outputs with its targets");
  }
  if (config.labelSmoothing !== 0) {
    throw new UsageError("labelSmoothing", "applies to class labels, not to regression targets");
  }
  return regressionObjective(config.loss, config);
}

/** Every `--loss` name of either task. */
export const lossNames: readonly string[] = [
  ...new Set([...Object.keys(objectiveDefs), ...Object.keys(regressionLossDefs)]),
];
