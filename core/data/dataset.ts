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
  readonly count: number;
  /** Per-sample shape, e.g. [1, 28, 28]; the sample size is its product. */
  readonly sampleShape: readonly number[];
  readonly classes: number;
}

/** A train/test pair with a display name. */
export interface DatasetSplit {
  readonly name: string;
  readonly train: Dataset;
  readonly test: Dataset;
}
