/**
 * Loss and accuracy sums kept on the device: each step adds to them with two small
 * dispatches, and the host reads them only when a report is due.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import { argmax } from "../ops.ts";
import type { Tensor } from "../tensor.ts";

/** Mean loss and accuracy over some samples. */
export interface RunningMetrics {
  /** Mean loss per sample. */
  loss: number;
  /** Fraction of samples whose argmax matched the label. */
  accuracy: number;
  /** Number of samples. */
  count: number;
}

/** Device-side sums of loss and correct predictions. */
export class DeviceMetrics {
  private readonly sums: Storage;
  private readonly lossSum: Storage;
  private readonly correctSum: Storage;
  private samples = 0;

  constructor(private readonly backend: Backend) {
    const a = backend.viewAlignment;
    this.sums = backend.zeros(2 * a, true);
    this.lossSum = backend.view(this.sums, 0, 1);
    this.correctSum = backend.view(this.sums, a, 1);
  }

  /** Adds `lossTotal` (a one-element tensor) times `lossScale`, and the batch's hits. */
  add(logits: Tensor, labels: Tensor, lossTotal: Tensor, lossScale: number): void {
    const b = this.backend;
    const s = labels.shape;
    b.axpy(this.lossSum, lossTotal.storage, lossScale);
    const predicted = argmax(logits).storage;
    const hits = b.binary({
      op: "eq",
      a: predicted,
      aShape: s,
      b: labels.storage,
      bShape: s,
      outShape: s,
    });
    b.axpy(
      this.correctSum,
      b.reduce({ op: "sum", x: hits, outer: 1, len: labels.size, inner: 1 }),
      1,
    );
    this.samples += labels.size;
  }

  /** Reads and resets the sums. */
  async take(): Promise<RunningMetrics> {
    const a = this.backend.viewAlignment;
    const sums = await this.backend.read(this.sums);
    const count = this.samples;
    this.backend.write(this.sums, new Float32Array(2 * a));
    this.samples = 0;
    return { loss: sums[0] / count, accuracy: sums[a] / count, count };
  }
}
