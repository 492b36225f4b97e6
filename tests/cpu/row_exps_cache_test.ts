/**
 * The fast CPU backend's shared row exponentials (cpu/row_exps_cache.ts): the cross-entropy
 * forward, its gradient and the metric tally, reading one set of exponentials, are bitwise the
 * reference's, which computes them at every call; and logits changed in place, or by the sign of
 * a zero only, are never served the last exponentials.
 *
 * @module
 */

import type { Backend, CrossEntropySpec, Storage } from "../../core/backend.ts";
import { CpuStorage, createCpuBackend } from "../../core/cpu/backend.ts";
import { rowExps } from "../../core/cpu/row_exps.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { RowExpsCache } from "../../cpu/row_exps_cache.ts";
import { assert, assertEquals } from "../core/asserts.ts";

const ROWS = 7, COLS = 5;

/** Random logits in [-4, 4), with a NaN row if `nan`. */
function logits(seed: number, nan = false): Float32Array {
  let s = seed >>> 0;
  const x = Float32Array.from({ length: ROWS * COLS }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 29 - 4;
  });
  if (nan) x[2 * COLS + 1] = NaN;
  return x;
}

/** Labels with one ignored (-100) and one out of range. */
const LABELS = Float32Array.from([0, 4, 2, -100, 1, 3, 9]);

const data = (s: Storage) => (s as CpuStorage).data;

/**
 * On `b`, for each logits of `batches` written in turn into one array: the loss, the metric
 * tally and the gradient (in a training step's order), for every reduction, with and without
 * class weights and label smoothing.
 */
function run(b: Backend, batches: Float32Array[]): Float32Array[] {
  const out: Float32Array[] = [];
  const x = b.upload(batches[0]);
  const labels = b.upload(LABELS), weight = b.upload(Float32Array.from([1, 0.5, 2, 1, 0.25]));
  for (const batch of batches) {
    data(x).set(batch);
    for (const reduction of ["mean", "sum", "none"] as const) {
      for (const [w, labelSmoothing] of [[null, 0], [weight, 0.1]] as const) {
        const spec: CrossEntropySpec = {
          rows: ROWS,
          cols: COLS,
          ignoreIndex: -100,
          labelSmoothing,
          reduction,
          scale: 0.5,
        };
        const totals = b.softmaxCrossEntropy(x, labels, w, spec);
        const sums = b.zeros(3, true);
        const loss = b.view(totals, 0, 1);
        b.tallyPredictions({ sums, logits: x, labels, loss, lossScale: 2, rows: ROWS, cols: COLS });
        const gy = b.upload(Float32Array.from({ length: ROWS }, (_, i) => 1 + i / 4));
        const gx = b.softmaxCrossEntropyBackward(x, labels, w, totals, gy, spec);
        out.push(data(totals).slice(), data(sums).slice(), data(gx).slice());
      }
    }
  }
  return out;
}

Deno.test("cross-entropy and tally on shared exponentials are bitwise the reference's", async () => {
  const zeroed = logits(3);
  zeroed[4] = 0;
  const negZero = zeroed.slice();
  negZero[4] = -0;
  const batches = [logits(1), logits(1), logits(2, true), zeroed, negZero];
  const expected = run(createCpuBackend(), batches);
  const fast = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  try {
    const got = run(fast, batches);
    assertEquals(got.length, expected.length);
    got.forEach((g, i) => assertEquals(g, expected[i], `result ${i}`));
  } finally {
    fast.destroy();
  }
});

Deno.test("the row exponentials are reused only for the same bits", () => {
  const cache = new RowExpsCache();
  const x = logits(5);
  assertEquals(cache.of(x, ROWS, COLS), rowExps(x, ROWS, COLS));
  // A marker in the held sums shows whether the next call reused them or recomputed them.
  const mark = () => cache.of(x, ROWS, COLS).sum[0] = -1;
  mark();
  assertEquals(cache.of(x.slice(), ROWS, COLS).sum[0], -1, "same bits in another array: reused");
  x[3] += 1;
  assertEquals(cache.of(x, ROWS, COLS), rowExps(x, ROWS, COLS), "written in place: recomputed");
  x[3] = 0;
  mark();
  x[3] = -0;
  assertEquals(cache.of(x, ROWS, COLS), rowExps(x, ROWS, COLS), "-0 for 0: recomputed");
  mark();
  const rows = cache.of(x.subarray(0, 3 * COLS), 3, COLS);
  assertEquals(rows, rowExps(x, 3, COLS), "fewer rows: recomputed");
  assert(rows.sum.length === 3);
});
