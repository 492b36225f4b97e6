/**
 * Predictions of a trained model: per sample, the most likely class and the softmax of
 * the model's outputs, in evaluation mode and without recording gradients.
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import type { Dataset } from "../data/dataset.ts";
import { Tensor } from "../tensor.ts";
import { evalBatches } from "./fit.ts";
import type { Trainer } from "./trainer.ts";

/** One sample's prediction. */
export interface Prediction {
  /** The class with the highest probability (the first of equals). */
  readonly predicted: number;
  /** Softmax of the model's outputs, one per class. */
  readonly probabilities: Float32Array;
}

/** The predictions for the first `limit` samples of `data`, in order, computed `batchSize` at a time. */
export async function* predictions(
  trainer: Trainer,
  data: Dataset,
  limit = data.count,
  batchSize = 1000,
): AsyncGenerator<Prediction> {
  const { model, flat: { backend }, inputShape } = trainer;
  const first = { ...data, count: Math.min(limit, data.count) };
  model.eval();
  for (const batch of evalBatches(first, batchSize)) {
    const x = new Tensor(backend, backend.upload(batch.x), [batch.rows, ...inputShape]);
    const logits = noGrad(() => model.forward(x));
    const values = await logits.toArray();
    backend.endStep();
    const classes = values.length / batch.rows;
    for (let r = 0; r < batch.rows; r++) {
      yield softmaxRow(values.subarray(r * classes, (r + 1) * classes));
    }
  }
}

function softmaxRow(logits: Float32Array): Prediction {
  let predicted = 0;
  for (let c = 1; c < logits.length; c++) if (logits[c] > logits[predicted]) predicted = c;
  const max = logits[predicted];
  const probabilities = logits.map((v) => Math.exp(v - max));
  const sum = probabilities.reduce((a, b) => a + b, 0);
  return { predicted, probabilities: probabilities.map((p) => p / sum) };
}
