import type { Dataset } from "../../../core/data/dataset.ts";

/** Every `stride`-th sample of `ds`: keeps all ten digits (the bundle is ordered by digit). */
export function strided(ds: Dataset, stride: number): Dataset {
  const size = ds.images.length / ds.count;
  const idx = Array.from({ length: Math.floor(ds.count / stride) }, (_, i) => i * stride);
  const images = new Float32Array(idx.length * size);
  idx.forEach((k, i) => images.set(ds.images.subarray(k * size, (k + 1) * size), i * size));
  return { ...ds, count: idx.length, images, labels: Float32Array.from(idx, (k) => ds.labels[k]) };
}
