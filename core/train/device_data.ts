/**
 * The training set held by the backend: uploaded once, then each step's batch is gathered
 * there from the shuffled indices (`Backend.gatherSamples`), so a step uploads only an
 * index buffer. The indices are the host path's, so the batches are bitwise the same.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import type { AugmentOptions } from "../data/augment.ts";
import { type Dataset, sampleSize } from "../data/dataset.ts";

/** Bytes of training images a device backend holds by default. */
export const DEVICE_DATA_BUDGET = 1 << 30;

// Indices travel as f32, exact below 2²⁴.
const MAX_SAMPLES = 1 << 24;

/** A dataset uploaded to a backend, and the batches gathered from it there. */
export class DeviceDataset {
  private readonly images: Storage;
  private readonly labels: Storage;
  private readonly width: number;

  constructor(private readonly backend: Backend, readonly dataset: Dataset) {
    if (dataset.count >= MAX_SAMPLES) {
      throw new RangeError(`a device dataset holds fewer than ${MAX_SAMPLES} samples`);
    }
    this.images = backend.upload(dataset.images, true);
    this.labels = backend.upload(dataset.labels, true);
    this.width = sampleSize(dataset);
  }

  /** The samples at `indices` and their labels, gathered on the backend. */
  gather(indices: Uint32Array): { x: Storage; y: Storage } {
    for (const k of indices) {
      if (k >= this.dataset.count) {
        throw new RangeError(`index ${k} is out of range for ${this.dataset.count} samples`);
      }
    }
    const idx = this.backend.upload(Float32Array.from(indices));
    return this.backend.gatherSamples(this.images, this.labels, idx, this.width);
  }
}

/**
 * The training set on `backend` when it should live there: not on the CPU reference
 * backend (its memory is the host's, a second copy gains nothing), not with augmentation
 * (crops and flips run on the host, exactly as before), and only when the images fit
 * `budget` bytes and indices stay exact as f32. Otherwise null: batches are gathered on
 * the host and uploaded.
 */
export function deviceDataset(
  backend: Backend,
  dataset: Dataset,
  augment: AugmentOptions,
  budget = DEVICE_DATA_BUDGET,
): DeviceDataset | null {
  const augmented = augment.crop > 0 || augment.flip;
  const fits = dataset.images.byteLength <= budget && dataset.count < MAX_SAMPLES;
  return backend.name === "cpu" || augmented || !fits ? null : new DeviceDataset(backend, dataset);
}
