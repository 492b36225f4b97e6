/**
 * The WebGPU backend's row ops: softmax, gather and scatter of one column per row, argmax,
 * and the fused ones of a classifier's step — softmax cross-entropy forward and backward,
 * the on-GPU tally of loss and correct predictions, and the gather of a minibatch's
 * samples from a dataset that lives on the GPU.
 *
 * @module
 */

import type {
  Backend,
  CrossEntropySpec,
  SoftmaxArgs,
  Storage,
  TallyArgs,
} from "../../core/backend.ts";
import {
  crossEntropyBackwardKernel,
  crossEntropyKernel,
  crossEntropyParams,
} from "../kernels/cross_entropy.ts";
import { gatherSamplesKernel } from "../kernels/gather_samples.ts";
import { argmaxKernel, gatherKernel, scatterKernel, softmaxKernel } from "../kernels/rows.ts";
import { tallyKernel } from "../kernels/tally.ts";
import { flatGroups, type OpContext } from "../op_context.ts";

/** The row methods of a {@link Backend}. */
export type RowOps = Pick<
  Backend,
  | "softmax"
  | "gather"
  | "scatter"
  | "argmax"
  | "softmaxCrossEntropy"
  | "softmaxCrossEntropyBackward"
  | "tallyPredictions"
  | "gatherSamples"
>;

/** {@link RowOps} recorded through `ctx`. */
export function rowOps(ctx: OpContext): RowOps {
  return {
    softmax({ x, rows, cols, log }: SoftmaxArgs): Storage {
      const out = ctx.allocate(rows * cols);
      ctx.run(softmaxKernel(log), [x, out], [rows, cols], rows);
      return out;
    },

    gather(x: Storage, idx: Storage, rows: number, cols: number): Storage {
      const out = ctx.allocate(rows);
      ctx.run(gatherKernel(), [x, idx, out], [rows, cols], flatGroups(rows));
      return out;
    },

    scatter(g: Storage, idx: Storage, rows: number, cols: number): Storage {
      const out = ctx.allocate(rows * cols);
      ctx.run(scatterKernel(), [g, idx, out], [rows, cols], flatGroups(rows * cols));
      return out;
    },

    argmax(x: Storage, rows: number, cols: number): Storage {
      const out = ctx.allocate(rows);
      ctx.run(argmaxKernel(), [x, out], [rows, cols], flatGroups(rows));
      return out;
    },

    softmaxCrossEntropy(
      logits: Storage,
      labels: Storage,
      weight: Storage | null,
      spec: CrossEntropySpec,
    ): Storage {
      const reduced = spec.reduction !== "none";
      const out = ctx.allocate(reduced ? 2 : spec.rows);
      ctx.run(
        crossEntropyKernel(spec, weight !== null),
        [logits, labels, weight ?? ctx.zero, out],
        crossEntropyParams(spec),
        reduced ? 1 : flatGroups(spec.rows),
      );
      return out;
    },

    softmaxCrossEntropyBackward(
      logits: Storage,
      labels: Storage,
      weight: Storage | null,
      totals: Storage,
      gy: Storage,
      spec: CrossEntropySpec,
    ): Storage {
      const gx = ctx.allocate(spec.rows * spec.cols);
      ctx.run(
        crossEntropyBackwardKernel(spec, weight !== null),
        [logits, labels, weight ?? ctx.zero, totals, gy, gx],
        crossEntropyParams(spec),
        spec.rows,
      );
      return gx;
    },

    tallyPredictions({ sums, logits, labels, loss, lossScale, rows, cols }: TallyArgs): void {
      ctx.run(tallyKernel(), [logits, labels, loss, sums], [rows, cols, lossScale], 1);
    },

    gatherSamples(
      images: Storage,
      labels: Storage,
      idx: Storage,
      width: number,
    ): { x: Storage; y: Storage } {
      const rows = idx.size, count = labels.size;
      const x = ctx.allocate(rows * width), y = ctx.allocate(rows);
      // One dispatch per shard of whole samples that one binding can hold at an aligned offset.
      const align = ctx.viewAlignment;
      const alignRows = align / gcd(align, width);
      const perBinding = Math.floor(ctx.maxBindingBytes / 4 / width);
      const shard = Math.max(alignRows, perBinding - perBinding % alignRows);
      for (let first = 0; first < Math.max(count, 1); first += shard) {
        const n = Math.min(shard, count - first);
        ctx.run(
          gatherSamplesKernel(),
          [ctx.view(images, first * width, n * width), labels, idx, x, y],
          [rows, width, count, first, n],
          flatGroups(rows * width),
        );
      }
      return { x, y };
    },
  };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
