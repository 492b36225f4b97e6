/**
 * Per-channel normalisation, like torchvision's `transforms.Normalize`.
 *
 * @module
 */

import type { Dataset } from "./dataset.ts";

/** Mean and standard deviation (population) of every channel over all samples. */
export function channelStats(ds: Dataset): { mean: number[]; std: number[] } {
  const channels = ds.sampleShape.length === 3 ? ds.sampleShape[0] : 1;
  const size = ds.images.length / ds.count;
  const plane = size / channels;
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let sum = 0, sq = 0;
    for (let s = 0; s < ds.count; s++) {
      const base = s * size + c * plane;
      for (let i = 0; i < plane; i++) {
        const v = ds.images[base + i];
        sum += v;
        sq += v * v;
      }
    }
    const n = ds.count * plane;
    mean.push(sum / n);
    std.push(Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)));
  }
  return { mean, std };
}

/** A copy of `ds` with `(x − mean[c]) / std[c]` per channel (a zero std leaves the channel centred). */
export function normalize(ds: Dataset, mean: readonly number[], std: readonly number[]): Dataset {
  const size = ds.images.length / ds.count;
  const plane = size / mean.length;
  const images = new Float32Array(ds.images.length);
  for (let i = 0; i < images.length; i++) {
    const c = Math.floor((i % size) / plane);
    images[i] = (ds.images[i] - mean[c]) / (std[c] || 1);
  }
  return { ...ds, images };
}
