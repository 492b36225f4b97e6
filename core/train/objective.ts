/**
 * Training objectives by flag name. Each returns the loss summed over the batch shard
 * and divided by the global batch size, so that summing gradients across data-parallel
 * ranks gives exactly the single-process mean, even when shards differ in size.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { crossEntropy } from "../loss/cross_entropy.ts";
import { mseLoss } from "../loss/mse.ts";
import { scale } from "../ops.ts";
import { Tensor } from "../tensor.ts";

/** Loss of `[N, C]` logits against class indices `[N]`, pre-divided by the global batch. */
export type Objective = (logits: Tensor, labels: Tensor, globalBatch: number) => Tensor;

/** Objectives by `--loss` name. */
export const objectives: Record<string, Objective> = {
  "cross-entropy": (logits, labels, n) =>
    scale(crossEntropy(logits, labels, { reduction: "sum" }), 1 / n),
  // MSE against one-hot targets, averaged over the N·C elements like nn.MSELoss.
  mse: (logits, labels, n) => {
    const b = logits.backend;
    const [rows, cols] = logits.shape;
    const ones = b.affine(b.zeros(rows), 0, 1);
    const oneHot = new Tensor(b, b.scatter(ones, labels.storage, rows, cols), logits.shape);
    return scale(mseLoss(logits, oneHot, "sum"), 1 / (n * cols));
  },
};

/** The objective named `name`, or a UsageError naming `--loss`. */
export function objectiveByName(name: string): Objective {
  const f = objectives[name];
  if (!f) {
    throw new UsageError(
      "--loss",
      `expected one of ${Object.keys(objectives).join(", ")}, got "${name}"`,
    );
  }
  return f;
}
