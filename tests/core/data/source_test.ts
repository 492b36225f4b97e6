import assert from "node:assert/strict";
import { DataFormatError, UsageError } from "../../../core/errors.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { FASHION_MNIST_DIR, loadFashionMnist } from "../../../core/data/fashion_mnist.ts";

async function withCache<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  const before = Deno.env.get("GRADMESH_CACHE");
  Deno.env.set("GRADMESH_CACHE", dir);
  try {
    return await fn(dir);
  } finally {
    if (before === undefined) Deno.env.delete("GRADMESH_CACHE");
    else Deno.env.set("GRADMESH_CACHE", before);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bundled MNIST: 8,000 train / 2,000 test, k % 5 == 4 held out, pixels in [0, 1]", async () => {
  await withCache(async () => {
    const { train, test, name } = await loadDataset("mnist");
    assert.equal(name, "mnist");
    assert.equal(train.count, 8000);
    assert.equal(test.count, 2000);
    assert.equal(train.images.length, 8000 * 784);
    const counts = new Array(10).fill(0);
    for (const l of [...train.labels, ...test.labels]) counts[l]++;
    assert.ok(counts.every((c) => c > 800 && c < 1200), `per-digit counts ${counts}`);
    // Digits are concatenated in order, so labels never decrease within a split.
    assert.ok(test.labels.every((l, i) => i === 0 || l >= test.labels[i - 1]));
    let lo = Infinity, hi = -Infinity;
    for (const v of train.images) lo = Math.min(lo, v), hi = Math.max(hi, v);
    assert.equal(lo, 0);
    assert.ok(hi <= 1 && hi > 0.9);
  });
});

Deno.test("the decoded-data cache returns identical data and rebuilds a corrupt file", async () => {
  await withCache(async (dir) => {
    const first = await loadDataset("mnist");
    const file = `${dir}/mnist.bin`;
    assert.ok((await Deno.stat(file)).size > 8000 * 784 * 4);
    const second = await loadDataset("mnist");
    assert.deepEqual(second.test.labels, first.test.labels);
    assert.deepEqual(second.train.images.subarray(0, 5000), first.train.images.subarray(0, 5000));
    const bytes = await Deno.readFile(file);
    await Deno.writeFile(file, bytes.subarray(0, 1000));
    const third = await loadDataset("mnist");
    assert.deepEqual(third.train.labels, first.train.labels);
    assert.equal((await Deno.stat(file)).size, bytes.length);
  });
});

Deno.test("--data errors: unknown spec is a usage error; a missing directory names the file", async () => {
  await assert.rejects(() => loadDataset("cifar"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^--data: expected mnist, fashion-mnist or idx:DIR, got "cifar"/);
    return true;
  });
  const dir = await Deno.makeTempDir();
  await assert.rejects(() => loadDataset(`idx:${dir}`), (e: unknown) => {
    assert.ok(e instanceof DataFormatError);
    assert.match(e.message, /train-images-idx3-ubyte\[\.gz\]: not found/);
    return true;
  });
  await assert.rejects(() => loadFashionMnist(dir), /apt-get install dataset-fashion-mnist/);
  await Deno.remove(dir);
});

const hasFashion = await Deno.stat(FASHION_MNIST_DIR).then(() => true, () => false);
if (!hasFashion) console.log(`fashion-mnist test skipped: ${FASHION_MNIST_DIR} is absent`);

Deno.test({
  name: "Fashion-MNIST from Debian's package: 60,000 / 10,000",
  ignore: !hasFashion,
  async fn() {
    const { train, test } = await loadFashionMnist();
    assert.equal(train.count, 60000);
    assert.equal(test.count, 10000);
    assert.deepEqual(train.sampleShape, [1, 28, 28]);
  },
});
