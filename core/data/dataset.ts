/**
 * The in-memory form of every dataset: samples as rows of f32 values, labels as f32
 * class indices.
 *
 * @module
 */

/** A labelled set of samples. */
export interface Dataset {
  /** Row-major samples, `count × sampleSize` f32 values (pixels in [0,1] unless normalised). */
  readonly images: Float32Array;
  /** Class index per sample, stored as f32 integers. */
  readonly labels: Float32Array;
  /** Number of samples. */
  readonly count: number;
  /** Per-sample shape, e.g. [1, 28, 28]; {@link sampleSize} is its product. */
  readonly sampleShape: readonly number[];
  /** Number of classes; every label is in `0..classes-1`. */
  readonly classes: number;
  /**
   * Present when `images` hold `(pixel − mean[c]) / std[c]` rather than pixels (see
   * `normalize.ts`), so that transforms can tell what a black pixel has become.
   */
  readonly normalization?: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /**
   * Present for regression data: `labels` then holds `count × targets` numeric targets row
   * by row (and `classes` equals `targets`, the model's outputs), not class indices.
   */
  readonly targets?: number;
}

/** A train/test pair with a display name. */
export interface DatasetSplit {
  /** The training samples. */
  readonly train: Dataset;
  /** The held-out samples. */
  readonly test: Dataset;
  /** What the pair is called in logs, e.g. `mnist`. */
  readonly name: string;
}

/**
 * Values per sample: the product of `sampleShape`.
 *
 * @example
 * ```ts
 * import { sampleSize } from "./dataset.ts";
 * console.log(sampleSize({ sampleShape: [1, 28, 28] })); // 784
 * ```
 */
export function sampleSize(ds: Pick<Dataset, "sampleShape">): number {
  return ds.sampleShape.reduce((a, b) => a * b, 1);
}

// byte / 255 for every byte, rounded to f32 once, so every reader maps bytes identically.
const PIXEL_OF_BYTE = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/**
 * Pixel bytes (0..255) as the f32 values a {@link Dataset} holds: `byte / 255`.
 *
 * @example
 * ```ts
 * import { pixelsFromBytes } from "./dataset.ts";
 * console.log(pixelsFromBytes(new Uint8Array([0, 255]))); // Float32Array(2) [ 0, 1 ]
 * ```
 */
export function pixelsFromBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = PIXEL_OF_BYTE[bytes[i]];
  return out;
}
