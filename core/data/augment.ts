/**
 * Training-time image augmentation, applied on the host as a training batch is assembled
 * (never to evaluation batches): torchvision's `RandomCrop(size, padding=crop)` (pad every
 * side with `crop` black pixels, then cut a window of the original size at a uniformly
 * random offset) followed by `RandomHorizontalFlip(p=0.5)`.
 *
 * Every sample draws from its own {@link Rng} seeded from (seed, epoch, sample index), so
 * a run is reproducible and a sample is transformed the same way whichever rank's shard
 * it falls in and whatever its place in the batch. On normalised data (see
 * `normalize.ts`) the padding holds what a black pixel normalises to, so normalising then
 * augmenting equals torchvision's order, augmenting pixels then normalising.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { Rng } from "../rng.ts";
import { type Dataset, sampleSize } from "./dataset.ts";
import { normalize } from "./normalize.ts";
import { mix32 } from "./sampler.ts";

/** Which random transforms a training sample gets; all off is no augmentation. */
export interface AugmentOptions {
  /** Zero padding of the random crop on each side, in pixels; 0 turns cropping off. */
  readonly crop: number;
  /** Mirror left–right with probability 0.5. */
  readonly flip: boolean;
}

/** The random choices for one sample: the crop window's shift and whether to mirror. */
export interface SampleTransform {
  /** Rows the window is shifted down from the centred position, in `-crop..crop`. */
  readonly dy: number;
  /** Columns the window is shifted right from the centred position, in `-crop..crop`. */
  readonly dx: number;
  /** Whether the cropped window is mirrored left–right. */
  readonly flip: boolean;
}

// Keeps augmentation's streams apart from the shuffling streams of the same (seed, epoch).
const AUGMENT_SALT = 0x85ebca6b;

/**
 * The transform that sample `index` gets in `epoch` of a run seeded with `seed`: a crop
 * offset drawn uniformly from the `2·crop + 1` positions per axis (rows first), then a
 * flip with probability ½.
 *
 * @example
 * ```ts
 * import { sampleTransform } from "./augment.ts";
 * const t = sampleTransform({ crop: 4, flip: true }, 0, 0, 7);
 * console.log(Math.abs(t.dy) <= 4 && Math.abs(t.dx) <= 4); // true
 * ```
 */
export function sampleTransform(
  options: AugmentOptions,
  seed: number,
  epoch: number,
  index: number,
): SampleTransform {
  const rng = new Rng(mix32(mix32(seed ^ mix32(epoch ^ AUGMENT_SALT)) ^ index));
  const span = 2 * options.crop + 1;
  const dy = options.crop > 0 ? rng.int(span) - options.crop : 0;
  const dx = options.crop > 0 ? rng.int(span) - options.crop : 0;
  return { dy, dx, flip: options.flip && rng.uniform() < 0.5 };
}

/**
 * Augments in place the training batch `x`, which holds the samples of `ds` at `indices`
 * row by row (as `gatherBatch` copies them), for `epoch` of a run seeded with `seed`.
 * Samples must be images `[C, H, W]`.
 *
 * @example
 * ```ts
 * import { augmentBatch } from "./augment.ts";
 * const ds = { images: Float32Array.of(1, 2, 3, 4), labels: Float32Array.of(0), count: 1, sampleShape: [1, 2, 2], classes: 1 };
 * const x = ds.images.slice();
 * augmentBatch(x, Uint32Array.of(0), ds, { crop: 0, flip: true }, 0, 0);
 * console.log(x); // Float32Array(4) [ 1, 2, 3, 4 ] or, mirrored, [ 2, 1, 4, 3 ]
 * ```
 */
export function augmentBatch(
  x: Float32Array,
  indices: Uint32Array,
  ds: Pick<Dataset, "sampleShape" | "normalization">,
  options: AugmentOptions,
  seed: number,
  epoch: number,
): void {
  if (options.crop === 0 && !options.flip) return;
  const [channels, height, width] = imageShape(ds, options);
  const size = sampleSize(ds), plane = height * width;
  const fill = blackPixel(ds);
  const sample = new Float32Array(size);
  for (let r = 0; r < indices.length; r++) {
    const { dy, dx, flip } = sampleTransform(options, seed, epoch, indices[r]);
    if (dy === 0 && dx === 0 && !flip) continue;
    const row = x.subarray(r * size, (r + 1) * size);
    sample.set(row);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const sy = y + dy;
        for (let col = 0; col < width; col++) {
          const sx = (flip ? width - 1 - col : col) + dx;
          const inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
          row[c * plane + y * width + col] = inside ? sample[c * plane + sy * width + sx] : fill[c];
        }
      }
    }
  }
}

/** `[C, H, W]` of the samples, checked against the options. */
function imageShape(
  ds: Pick<Dataset, "sampleShape">,
  options: AugmentOptions,
): readonly number[] {
  const shape = ds.sampleShape;
  const flag = options.crop > 0 ? "randomCrop" : "hflip";
  if (shape.length !== 3) {
    throw new UsageError(flag, `needs image samples [C, H, W], got sample shape [${shape}]`);
  }
  if (!Number.isInteger(options.crop) || options.crop < 0) {
    throw new UsageError("randomCrop", `expected an integer >= 0, got ${options.crop}`);
  }
  return shape;
}

/** Per channel, the value a black (0) pixel has in `ds`: 0, or what normalising made of it. */
function blackPixel(ds: Pick<Dataset, "sampleShape" | "normalization">): Float32Array {
  const channels = ds.sampleShape[0];
  if (!ds.normalization) return new Float32Array(channels);
  const { mean, std } = ds.normalization;
  const zeros = {
    images: new Float32Array(channels),
    labels: new Float32Array(1),
    count: 1,
    sampleShape: [channels, 1],
    classes: 1,
  };
  return normalize(zeros, mean, std).images;
}
