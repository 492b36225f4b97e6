/**
 * Per-channel normalisation with the semantics of torchvision's `transforms.Normalize`:
 * `out = (x − mean[c]) / std[c]` in f32, channels being the first dimension of the sample
 * shape (1 for [1, 28, 28]).
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";
import { type Dataset, sampleSize } from "./dataset.ts";

/** Per-channel statistics, one entry per channel. */
export interface ChannelStats {
  /** Mean of every value of the channel over all samples. */
  mean: number[];
  /** Population standard deviation (divisor N) of the same values. */
  std: number[];
}

/**
 * Mean and standard deviation of each of the `sampleShape[0]` channels over every value
 * of every sample, accumulated in f64 (two passes, so a large mean costs no precision).
 *
 * @example
 * ```ts
 * import { channelStats } from "./normalize.ts";
 * const ds = { images: Float32Array.of(0, 1, 0, 1), labels: Float32Array.of(0, 0), count: 2, sampleShape: [1, 2], classes: 1 };
 * console.log(channelStats(ds)); // { mean: [ 0.5 ], std: [ 0.5 ] }
 * ```
 */
export function channelStats(ds: Dataset): ChannelStats {
  const { images } = ds;
  const mean: number[] = [], std: number[] = [];
  for (let c = 0; c < ds.sampleShape[0]; c++) {
    let sum = 0, n = 0;
    for (const [start, end] of channelSpans(ds, c)) {
      for (let i = start; i < end; i++) sum += images[i];
      n += end - start;
    }
    const m = sum / n;
    let squares = 0;
    for (const [start, end] of channelSpans(ds, c)) {
      for (let i = start; i < end; i++) squares += (images[i] - m) ** 2;
    }
    mean.push(m);
    std.push(Math.sqrt(squares / n));
  }
  return { mean, std };
}

/**
 * A copy of `ds` with every value of channel c replaced by `(x − mean[c]) / std[c]`,
 * rounded to f32 after each operation as PyTorch's f32 tensors are. Like torchvision, a
 * zero std is an error rather than a division by zero.
 *
 * @example
 * ```ts
 * import { normalize } from "./normalize.ts";
 * const ds = { images: Float32Array.of(0, 1), labels: Float32Array.of(0), count: 1, sampleShape: [1, 2], classes: 1 };
 * console.log(normalize(ds, [0.5], [0.5]).images); // Float32Array(2) [ -1, 1 ]
 * ```
 */
export function normalize(ds: Dataset, mean: readonly number[], std: readonly number[]): Dataset {
  const channels = ds.sampleShape[0];
  if (mean.length !== channels || std.length !== channels) {
    throw new ShapeError(
      "normalize",
      `expected ${channels} means and stds (one per channel of sample shape ` +
        `[${ds.sampleShape.join(", ")}]), got ${mean.length} and ${std.length}`,
    );
  }
  const zero = std.findIndex((s) => Math.fround(s) === 0);
  if (zero >= 0) {
    throw new UsageError(
      "normalize",
      `channel ${zero} has standard deviation 0, expected a non-zero std to divide by`,
    );
  }
  const images = new Float32Array(ds.images.length);
  for (let c = 0; c < channels; c++) {
    const m = Math.fround(mean[c]), s = Math.fround(std[c]);
    for (const [start, end] of channelSpans(ds, c)) {
      for (let i = start; i < end; i++) images[i] = Math.fround(ds.images[i] - m) / s;
    }
  }
  return { ...ds, images, normalization: { mean: [...mean], std: [...std] } };
}

/** The [start, end) index range of channel `c` within each sample, sample by sample. */
function* channelSpans(ds: Dataset, c: number): Generator<[number, number]> {
  const size = sampleSize(ds), plane = size / ds.sampleShape[0];
  for (let s = 0; s < ds.count; s++) yield [s * size + c * plane, s * size + (c + 1) * plane];
}
