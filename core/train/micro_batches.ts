/**
 * Gradient accumulation (`--accumulate N`): a step's shard cut into N micro-batches that
 * run forward and backward one after another into the same gradient, so that the
 * optimizer step sees the gradient of the whole shard while only one micro-batch's
 * activations are alive at a time.
 *
 * @module
 */

import { shardRange } from "../data/sampler.ts";
import { UsageError } from "../errors.ts";

/** A batch as the trainer takes it: rows on the host, or rows' indices into device data. */
type Rows =
  & { rows: number; firstRow?: number }
  & ({ x: Float32Array; y: Float32Array } | { indices: Uint32Array });

/** The most micro-batches per optimizer step. */
export const MAX_ACCUMULATE = 1024;

/**
 * The non-empty micro-batches of `batch`, `n` as equal as rows allow (the first ones one
 * row larger), in row order; each keeps its place (`firstRow`) in the global batch.
 *
 * @example
 * ```ts
 * import { microBatches } from "./micro_batches.ts";
 * const batch = { x: new Float32Array(10), y: new Float32Array(5), rows: 5, firstRow: 8 };
 * console.log(microBatches(batch, 2).map((b) => [b.firstRow, b.rows])); // [[8, 3], [11, 2]]
 * ```
 */
export function microBatches<B extends Rows>(batch: B, n: number): B[] {
  if (n === 1) return batch.rows > 0 ? [batch] : [];
  const parts: B[] = [];
  for (let k = 0; k < n; k++) {
    const [start, end] = shardRange(batch.rows, k, n);
    if (end > start) parts.push(rowsOf(batch, start, end));
  }
  return parts;
}

function rowsOf<B extends Rows>(batch: B, start: number, end: number): B {
  const firstRow = (batch.firstRow ?? 0) + start;
  const rows = end - start;
  if ("indices" in batch) {
    return { ...batch, indices: batch.indices.subarray(start, end), rows, firstRow };
  }
  const width = batch.x.length / batch.rows;
  const targets = batch.y.length / batch.rows; // 1 for class indices, T for regression
  return {
    ...batch,
    x: batch.x.subarray(start * width, end * width),
    y: batch.y.subarray(start * targets, end * targets),
    rows,
    firstRow,
  };
}

/**
 * Refuses `accumulate` outside 1..{@link MAX_ACCUMULATE}, and with `--sync-bn`, whose
 * statistics are summed across ranks once per forward pass of the step.
 */
export function checkAccumulate(config: { accumulate?: number; syncBn: boolean }): void {
  const n = config.accumulate ?? 1;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_ACCUMULATE) {
    throw new UsageError("accumulate", `expected an integer in 1..${MAX_ACCUMULATE}, got ${n}`);
  }
  if (n > 1 && config.syncBn) {
    throw new UsageError(
      "accumulate",
      "--sync-bn sums batch statistics once per step; it cannot be combined with --accumulate",
    );
  }
}
