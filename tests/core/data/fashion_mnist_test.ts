import assert from "node:assert/strict";
import { DataFormatError } from "../../../core/errors.ts";
import {
  FASHION_MNIST_DIR,
  idxDirFiles,
  loadFashionMnist,
  loadIdxDir,
} from "../../../core/data/fashion_mnist.ts";
import { assertRejectsWith, tinySplit, withTempDir, writeIdxDir } from "./helpers.ts";

for (const gz of [false, true]) {
  Deno.test(`loadIdxDir reads the four standard ${gz ? ".gz" : "raw"} files`, async () => {
    await withTempDir(async (dir) => {
      const files = tinySplit(5, 3);
      await writeIdxDir(dir, files, gz);
      const { name, train, test } = await loadIdxDir(dir);
      assert.equal(name, `idx:${dir}`);
      assert.equal(train.count, 5);
      assert.equal(test.count, 3);
      assert.deepEqual(train.sampleShape, [1, 2, 3]);
      assert.deepEqual([...test.labels], [...files.testLabels.subarray(8)]);
      assert.deepEqual(
        train.images,
        Float32Array.from(files.trainImages.subarray(16), (b) => b / 255),
      );
    });
  });
}

Deno.test("idxDirFiles prefers a raw file to its .gz and takes either", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDir(dir, tinySplit(), true);
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, tinySplit().trainImages);
    assert.deepEqual(await idxDirFiles(dir), [
      `${dir}/train-images-idx3-ubyte`,
      `${dir}/train-labels-idx1-ubyte.gz`,
      `${dir}/t10k-images-idx3-ubyte.gz`,
      `${dir}/t10k-labels-idx1-ubyte.gz`,
    ]);
  });
});

Deno.test("a missing Fashion-MNIST directory or file says how to install the package", async () => {
  await withTempDir(async (dir) => {
    const absent = `${dir}/fashion-mnist`;
    await assertRejectsWith(
      () => loadFashionMnist(absent),
      DataFormatError,
      absent,
      /directory not found.*; install it with: apt-get install dataset-fashion-mnist$/,
    );
    const split = tinySplit();
    await writeIdxDir(dir, split, true);
    await Deno.remove(`${dir}/t10k-labels-idx1-ubyte.gz`);
    await assertRejectsWith(
      () => loadFashionMnist(dir),
      DataFormatError,
      `${dir}/t10k-labels-idx1-ubyte[.gz]`,
      /not found; install it with: apt-get install dataset-fashion-mnist$/,
    );
    await assertRejectsWith(
      () => loadIdxDir(dir),
      DataFormatError,
      `${dir}/t10k-labels-idx1-ubyte[.gz]`,
      /^[^;]*not found$/,
    );
  });
});

Deno.test("a damaged file in an IDX directory is named in the error", async () => {
  await withTempDir(async (dir) => {
    await writeIdxDir(dir, tinySplit(), false);
    const file = `${dir}/t10k-images-idx3-ubyte`;
    await Deno.writeFile(file, (await Deno.readFile(file)).subarray(0, 20));
    await assertRejectsWith(
      () => loadIdxDir(dir),
      DataFormatError,
      file,
      /IDX size mismatch: 20 bytes, expected 34 .*\(truncated\)$/,
    );
  });
});

const installed = await Deno.stat(FASHION_MNIST_DIR).then((s) => s.isDirectory, () => false);

Deno.test({
  name: installed
    ? "Fashion-MNIST from Debian's package: 60,000 / 10,000, balanced classes"
    : `Fashion-MNIST (skipped: ${FASHION_MNIST_DIR} is absent; apt-get install dataset-fashion-mnist)`,
  ignore: !installed,
  async fn() {
    const { name, train, test } = await loadFashionMnist();
    assert.equal(name, "fashion-mnist");
    assert.equal(train.count, 60000);
    assert.equal(test.count, 10000);
    for (const [ds, perClass] of [[train, 6000], [test, 1000]] as const) {
      assert.deepEqual(ds.sampleShape, [1, 28, 28]);
      assert.equal(ds.images.length, ds.count * 784);
      const counts = new Array(10).fill(0);
      for (const label of ds.labels) counts[label]++;
      assert.deepEqual(counts, new Array(10).fill(perClass));
    }
    assert.ok(test.images.every((v) => v >= 0 && v <= 1));
  },
});
