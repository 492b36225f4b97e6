/**
 * The TensorBoard scalars of a metrics record: a step record's training loss, accuracy,
 * predictive entropy, learning rate and throughput; an epoch record's test metrics (when
 * evaluated: loss, accuracy, entropy and the regression scores) and the epoch number, all at the record's global step and under the record's key names.
 *
 * @module
 */

import { type MetricsRecord, REGRESSION_KEYS } from "./record.ts";

const present = (pairs: [string, number | null | undefined][]): [string, number][] =>
  pairs.filter((t): t is [string, number] => t[1] !== null && t[1] !== undefined);

/** `[tag, value]` pairs of `record`. */
export function recordScalars(record: MetricsRecord): [string, number][] {
  if (record.kind === "step") {
    return present([
      ["train_loss", record.train_loss],
      ["train_acc", record.train_acc],
      ["train_entropy", record.train_entropy],
      ["lr", record.lr],
      ["samples_per_s", record.samples_per_s],
    ]);
  }
  return [
    ...present([
      ["test_loss", record.test_loss],
      ["test_acc", record.test_acc],
      ["test_entropy", record.test_entropy],
      ...REGRESSION_KEYS.map((k): [string, number | undefined] => [k, record[k]]),
    ]),
    ["epoch", record.epoch],
  ];
}
