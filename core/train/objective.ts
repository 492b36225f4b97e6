/**
 * Training objectives by `--loss` name: every loss of the catalogue that compares `[N, C]`
 * class scores with class indices, with its PyTorch arguments. Each returns the loss
 * summed over the batch shard and divided by the global batch size (times C for the
 * losses PyTorch averages over all N·C elements), so that summing gradients across
 * data-parallel ranks gives exactly the single-process mean, even when shards differ.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { binaryCrossEntropyWithLogits } from "../loss/binary.ts";
import { oneHot } from "../loss/class_index.ts";
import { scaledCrossEntropy } from "../loss/cross_entropy.ts";
import { focalLoss } from "../loss/focal.ts";
import { mseLoss } from "../loss/mse.ts";
import { multilabelSoftMarginLoss, multiMarginLoss } from "../loss/multi_margin.ts";
import { nllLoss } from "../loss/nll.ts";
import { klDiv } from "../loss/probabilistic.ts";
import { huberLoss, l1Loss, smoothL1Loss } from "../loss/regression.ts";
import { logSoftmax, scale, softmax } from "../ops.ts";
import type { Tensor } from "../tensor.ts";

/**
 * How `--loss multi-margin` totals a row: `pytorch` divides the sum over the wrong classes
 * by the number of classes C (`nn.MultiMarginLoss`), `sum` does not (the multi-class SVM
 * loss as Weston and Watkins wrote it, C times PyTorch's).
 */
export const marginForms = ["pytorch", "sum"] as const;

/** One of {@link marginForms}. */
export type MarginForm = typeof marginForms[number];

/**
 * Loss of `[N, C]` outputs against class indices `[N]` (or regression targets `[N, C]`),
 * pre-divided by the global batch. `recordScale` (given the batch and the outputs per sample)
 * turns its value into the sum of per-sample losses that the metrics record, when that is
 * not `value × globalBatch` (a summed loss).
 */
export type Objective = ((logits: Tensor, labels: Tensor, globalBatch: number) => Tensor) & {
  readonly recordScale?: (globalBatch: number, outputs: number) => number;
};

/** The loss arguments of a run, PyTorch's names in camelCase (flags in kebab-case). */
export interface ObjectiveArgs {
  /** Softmax the model's output before the loss (not before accuracy). */
  softmaxOutput: boolean;
  /** `CrossEntropyLoss(label_smoothing)`. */
  labelSmoothing: number;
  /** `MultiMarginLoss(margin)`. */
  margin: number;
  /** `MultiMarginLoss(p)`: 1 or 2. */
  marginP: number;
  /** Whether the hinge is divided by C (`pytorch`) or not (`sum`). */
  marginForm: MarginForm;
  /** Focal loss γ. */
  focalGamma: number;
  /** Focal loss α. */
  focalAlpha: number;
  /** `SmoothL1Loss(beta)`. */
  smoothL1Beta: number;
  /** `HuberLoss(delta)`. */
  huberDelta: number;
}

/** PyTorch's defaults of {@link ObjectiveArgs}. */
export const defaultObjectiveArgs: ObjectiveArgs = {
  softmaxOutput: false,
  labelSmoothing: 0,
  margin: 1,
  marginP: 1,
  marginForm: "pytorch",
  focalGamma: 2,
  focalAlpha: 1,
  smoothL1Beta: 1,
  huberDelta: 1,
};

/** One `--loss`: what it computes, and the arguments it reads. */
interface ObjectiveDef {
  readonly doc: string;
  readonly args: readonly (keyof ObjectiveArgs)[];
  /** The loss summed over the rows of `out` (class targets `y`), times `factor`. */
  readonly sum: (out: Tensor, y: Tensor, a: ObjectiveArgs, factor: number) => Tensor;
  /** Whether PyTorch's mean runs over all N·C elements rather than the N rows. */
  readonly perElement?: boolean;
}

const hot = (out: Tensor, y: Tensor) => oneHot(y, out.shape[1]);

/** A loss summed over the rows, then multiplied by the factor in a pass of its own. */
const scaled =
  (sum: (out: Tensor, y: Tensor, a: ObjectiveArgs) => Tensor): ObjectiveDef["sum"] =>
  (out, y, a, factor) => scale(sum(out, y, a), factor);

/** Every `--loss` by name. */
export const objectiveDefs: Readonly<Record<string, ObjectiveDef>> = {
  "cross-entropy": {
    doc: "nn.CrossEntropyLoss: softmax cross-entropy of the logits",
    args: ["labelSmoothing"],
    // The fused op takes the factor itself: no extra pass forward or backward.
    sum: (out, y, a, factor) =>
      scaledCrossEntropy(out, y, { reduction: "sum", labelSmoothing: a.labelSmoothing }, factor),
  },
  nll: {
    doc: "nn.NLLLoss of the log-softmax of the output",
    args: [],
    sum: scaled((out, y) => nllLoss(logSoftmax(out), y, { reduction: "sum" })),
  },
  "kl-div": {
    doc: "nn.KLDivLoss(reduction='batchmean') of the log-softmax against one-hot targets",
    args: [],
    sum: scaled((out, y) => klDiv(logSoftmax(out), hot(out, y), { reduction: "sum" })),
  },
  "multi-margin": {
    doc: "nn.MultiMarginLoss: multi-class hinge (--margin-form sum: not divided by C)",
    args: ["margin", "marginP", "marginForm"],
    sum: (out, y, a, factor) =>
      scale(
        multiMarginLoss(out, y, { reduction: "sum", margin: a.margin, p: a.marginP as 1 | 2 }),
        a.marginForm === "sum" ? factor * out.shape[1] : factor,
      ),
  },
  "multilabel-soft-margin": {
    doc: "nn.MultiLabelSoftMarginLoss against one-hot targets",
    args: [],
    sum: scaled((out, y) => multilabelSoftMarginLoss(out, hot(out, y), { reduction: "sum" })),
  },
  focal: {
    doc: "focal loss on the softmax: −α(1 − p_y)^γ log p_y",
    args: ["focalGamma", "focalAlpha"],
    sum: scaled((out, y, a) =>
      focalLoss(out, y, { reduction: "sum", gamma: a.focalGamma, alpha: a.focalAlpha })
    ),
  },
  "bce-with-logits": {
    doc: "nn.BCEWithLogitsLoss against one-hot targets",
    args: [],
    sum: scaled((out, y) => binaryCrossEntropyWithLogits(out, hot(out, y), { reduction: "sum" })),
    perElement: true,
  },
  mse: {
    doc: "nn.MSELoss against one-hot targets",
    args: [],
    sum: scaled((out, y) => mseLoss(out, hot(out, y), "sum")),
    perElement: true,
  },
  l1: {
    doc: "nn.L1Loss against one-hot targets",
    args: [],
    sum: scaled((out, y) => l1Loss(out, hot(out, y), "sum")),
    perElement: true,
  },
  "smooth-l1": {
    doc: "nn.SmoothL1Loss against one-hot targets",
    args: ["smoothL1Beta"],
    sum: scaled((out, y, a) =>
      smoothL1Loss(out, hot(out, y), { reduction: "sum", beta: a.smoothL1Beta })
    ),
    perElement: true,
  },
  huber: {
    doc: "nn.HuberLoss against one-hot targets",
    args: ["huberDelta"],
    sum: scaled((out, y, a) =>
      huberLoss(out, hot(out, y), { reduction: "sum", delta: a.huberDelta })
    ),
    perElement: true,
  },
};

/** The objective `name` with `args`, or a UsageError naming `--loss` or the bad argument. */
export function objectiveByName(name: string, args: Partial<ObjectiveArgs> = {}): Objective {
  const def = objectiveDefs[name];
  if (!def) {
    throw new UsageError(
      "loss",
      `expected one of ${Object.keys(objectiveDefs).join(", ")}, got "${name}"`,
    );
  }
  const a = { ...defaultObjectiveArgs, ...args };
  if (a.marginP !== 1 && a.marginP !== 2) {
    throw new UsageError("marginP", `expected 1 or 2, got ${a.marginP}`);
  }
  if (!marginForms.includes(a.marginForm)) {
    throw new UsageError(
      "marginForm",
      `expected one of ${marginForms.join(", ")}, got ${JSON.stringify(a.marginForm)}`,
    );
  }
  if (!(a.labelSmoothing >= 0 && a.labelSmoothing <= 1)) {
    throw new UsageError(
      "labelSmoothing",
      `expected a value in [0, 1], got ${a.labelSmoothing}`,
    );
  }
  return (logits, labels, n) => {
    const out = a.softmaxOutput ? softmax(logits) : logits;
    const divisor = def.perElement ? n * logits.shape[1] : n;
    return def.sum(out, labels, a, 1 / divisor);
  };
}
