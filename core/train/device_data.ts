/**
 * The training set on the backend, so that a step uploads at most an index buffer: the
 * whole set uploaded once when it fits a memory budget, else the coming steps' samples
 * staged a chunk at a time into two buffers (one trains while the next is written). Each
 * step's batch is gathered there (`Backend.gatherSamples`) from the host path's indices,
 * so the batches are bitwise the same.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import type { AugmentOptions } from "../data/augment.ts";
import { type Dataset, sampleSize } from "../data/dataset.ts";
import { gatherBatch } from "../data/sampler.ts";

/** Bytes of training samples a device backend holds by default. */
export const DEVICE_DATA_BUDGET = 1 << 30;

// Indices travel as f32, exact below 2²⁴.
const MAX_SAMPLES = 1 << 24;

/** This process's shard of the samples of an epoch's step `step`. */
export type StepShard = (step: number) => Uint32Array;

/** Training samples held by a backend, and each step's batch gathered from them there. */
export interface DeviceData {
  /** Announces an epoch of `steps` steps whose shards {@link DeviceData.gather} will ask for in order. */
  beginEpoch(shardOf: StepShard, steps: number): void;
  /** The samples at `indices` (the next step's shard) and their labels, on the backend. */
  gather(indices: Uint32Array): { x: Storage; y: Storage };
}

function checkIndices(indices: Uint32Array, count: number): void {
  for (const k of indices) {
    if (k >= count) throw new RangeError(`index ${k} is out of range for ${count} samples`);
  }
}

/** A whole dataset uploaded to a backend once. */
export class DeviceDataset implements DeviceData {
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

  beginEpoch(): void {}

  gather(indices: Uint32Array): { x: Storage; y: Storage } {
    checkIndices(indices, this.dataset.count);
    const idx = this.backend.upload(Float32Array.from(indices));
    return this.backend.gatherSamples(this.images, this.labels, idx, this.width);
  }
}

/** One of the two staging buffers: a chunk's samples and labels, in step order. */
interface Chunk {
  images: Storage;
  labels: Storage;
  /** Where each step of the chunk starts in it, in samples. */
  starts: number[];
}

/**
 * A dataset too large for the budget: the samples of `chunkSteps` coming steps are
 * gathered on the host and written to one of two device buffers while the steps of the
 * other one train; a step gathers its batch from its chunk by position.
 */
export class ChunkedDeviceData implements DeviceData {
  private readonly width: number;
  private readonly chunks: [Chunk, Chunk];
  private shardOf: StepShard = () => new Uint32Array(0);
  private steps = 0;
  private next = 0;
  /** The step being gathered, and how many of its shard's rows are gathered so far. */
  private current = -1;
  private used = 0;
  /** The last chunk written to its buffer. */
  private staged = -1;

  constructor(
    private readonly backend: Backend,
    readonly dataset: Dataset,
    /** The most samples of one step's shard. */
    readonly stepRows: number,
    /** Steps per chunk. */
    readonly chunkSteps: number,
  ) {
    this.width = sampleSize(dataset);
    const rows = stepRows * chunkSteps;
    const chunk = (): Chunk => ({
      images: backend.zeros(rows * this.width, true),
      labels: backend.zeros(rows, true),
      starts: [],
    });
    this.chunks = [chunk(), chunk()];
  }

  beginEpoch(shardOf: StepShard, steps: number): void {
    this.shardOf = shardOf;
    this.steps = steps;
    this.next = 0;
    this.current = -1;
    this.used = 0;
    this.staged = -1;
    this.stageThrough(1);
  }

  gather(indices: Uint32Array): { x: Storage; y: Storage } {
    // A step's shard may come in consecutive parts (micro-batches, `--accumulate`): the
    // next part of the current step, else the next step with rows (a rank without rows
    // in a step, a global batch smaller than the world, gathers nothing).
    if (this.current < 0 || this.used >= this.shardOf(this.current).length) {
      while (this.next < this.steps && this.shardOf(this.next).length === 0) this.next++;
      this.current = this.next++;
      this.used = 0;
    }
    const step = this.current;
    const from = this.used;
    const expected = step < this.steps
      ? this.shardOf(step).subarray(from, from + indices.length)
      : null;
    if (
      !expected || expected.length !== indices.length || expected.some((k, i) => k !== indices[i])
    ) {
      throw new RangeError(`step ${step} of the epoch asked for samples its plan does not hold`);
    }
    this.used += indices.length;
    const c = Math.floor(step / this.chunkSteps);
    // Chunk c − 1's steps are all recorded, so its buffer takes chunk c + 1.
    this.stageThrough(c + 1);
    const chunk = this.chunks[c % 2];
    const start = chunk.starts[step % this.chunkSteps] + from;
    const idx = Float32Array.from(indices, (_, i) => start + i);
    const b = this.backend;
    return b.gatherSamples(chunk.images, chunk.labels, b.upload(idx), this.width);
  }

  /** Writes every chunk up to `last` not yet written. */
  private stageThrough(last: number): void {
    while (this.staged < last) this.stage(++this.staged);
  }

  /** Gathers chunk `c`'s samples on the host and writes them to its buffer. */
  private stage(c: number): void {
    const first = c * this.chunkSteps;
    if (first >= this.steps) return;
    const chunk = this.chunks[c % 2];
    const shards = Array.from(
      { length: Math.min(this.chunkSteps, this.steps - first) },
      (_, i) => this.shardOf(first + i),
    );
    const all = new Uint32Array(this.stepRows * this.chunkSteps);
    chunk.starts = [];
    let rows = 0;
    for (const shard of shards) {
      chunk.starts.push(rows);
      all.set(shard, rows);
      rows += shard.length;
    }
    checkIndices(all.subarray(0, rows), this.dataset.count);
    const { x, y } = gatherBatch(this.dataset, all);
    this.backend.write(chunk.images, x);
    this.backend.write(chunk.labels, y);
  }
}

/**
 * Where the training samples live for a run on `backend` with shards of at most
 * `stepRows` samples: null (gathered on the host and uploaded each step) for regression
 * targets and with augmentation (crops and flips run on the host, exactly as before); on a
 * CPU backend, whose memory is the host's, the whole set when it fits the backend's
 * `hostSampleBudget`, else null; otherwise the whole set when it fits `budget` bytes, else
 * chunks of as many steps as two of them fit (null when not even one step's pair fits).
 */
export function deviceData(
  backend: Backend,
  dataset: Dataset,
  augment: AugmentOptions,
  stepRows: number,
  budget = DEVICE_DATA_BUDGET,
): DeviceData | null {
  // Regression targets (several per sample) are gathered on the host: such sets are small.
  if (augment.crop > 0 || augment.flip || dataset.targets) return null;
  if (dataset.count >= MAX_SAMPLES) return null;
  const sampleBytes = (sampleSize(dataset) + 1) * 4;
  if (backend.name === "cpu") {
    // Chunks would only add a copy on the host's own memory.
    const held = dataset.count * sampleBytes <= (backend.hostSampleBudget ?? 0);
    return held ? new DeviceDataset(backend, dataset) : null;
  }
  if (dataset.count * sampleBytes <= budget) return new DeviceDataset(backend, dataset);
  const chunkSteps = Math.min(
    Math.floor(budget / (2 * stepRows * sampleBytes)),
    Math.ceil(dataset.count / stepRows),
  );
  return chunkSteps >= 1 ? new ChunkedDeviceData(backend, dataset, stepRows, chunkSteps) : null;
}
