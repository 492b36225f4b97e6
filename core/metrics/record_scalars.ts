/**
 * The TensorBoard scalars of a metrics record: a step record's training loss, accuracy,
 * learning rate and throughput; an epoch record's test loss and accuracy (when evaluated)
 * and the epoch number, all at the record's global step and under the record's key names.
 *
 * @module
 */

import type { MetricsRecord } from "./record.ts";

/** `[tag, value]` pairs of `record`. */
export function recordScalars(record: MetricsRecord): [string, number][] {
  if (record.kind === "step") {
    return [
      ["train_loss", record.train_loss],
      ["train_acc", record.train_acc],
      ["lr", record.lr],
      ["samples_per_s", record.samples_per_s],
    ];
  }
  const tested: [string, number | null][] = [
    ["test_loss", record.test_loss],
    ["test_acc", record.test_acc],
  ];
  return [
    ...tested.filter((t): t is [string, number] => t[1] !== null),
    ["epoch", record.epoch],
  ];
}
