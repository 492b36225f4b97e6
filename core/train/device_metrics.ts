/**
 * Loss, accuracy and predictive-entropy sums kept on the device: each step adds to them in
 * one fused pass (`Backend.tallyPredictions`), and the host reads them only when a report
 * is due.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import type { RegressionScores } from "../metrics/regression_scores.ts";
import type { Tensor } from "../tensor.ts";

/** Mean loss and accuracy over some samples. */
export interface RunningMetrics {
  /** Mean loss per sample. */
  loss: number;
  /** Fraction of samples whose argmax matched the label. */
  accuracy: number;
  /** Mean entropy in bits of the predicted distribution (the softmax of the outputs). */
  entropy: number;
  /** Number of samples. */
  count: number;
  /** The regression metrics, for a regression run's test split. */
  regression?: RegressionScores;
}

/** Device-side sums of loss, correct predictions and entropy. */
export class DeviceMetrics {
  /** `[loss sum, correct predictions, entropy sum in bits]`. */
  private readonly sums: Storage;
  private samples = 0;

  constructor(private readonly backend: Backend) {
    this.sums = backend.zeros(3, true);
  }

  /** Adds `lossTotal` (a one-element tensor) times `lossScale`, and the batch's hits. */
  add(logits: Tensor, labels: Tensor, lossTotal: Tensor, lossScale: number): void {
    const [rows, cols] = logits.shape;
    this.backend.tallyPredictions({
      sums: this.sums,
      logits: logits.storage,
      labels: labels.storage,
      loss: lossTotal.storage,
      lossScale,
      rows,
      cols,
    });
    this.samples += rows;
  }

  /** Reads and resets the sums. */
  async take(): Promise<RunningMetrics> {
    const sums = await this.backend.read(this.sums);
    const count = this.samples;
    this.backend.write(this.sums, new Float32Array(3));
    this.samples = 0;
    return { loss: sums[0] / count, accuracy: sums[1] / count, entropy: sums[2] / count, count };
  }
}
