import assert from "node:assert/strict";
import { DataFormatError, UsageError } from "../../../core/errors.ts";
import { sourceKey, writeCache } from "../../../core/data/cache.ts";
import { mnistBundleFiles } from "../../../core/data/mnist_bundle.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { assertRejectsWith, tinySplit, withTempDir, writeIdxDir } from "./helpers.ts";

Deno.test("an unknown --data spec is a usage error naming the flag", async () => {
  for (const spec of ["cifar", "idx:", "MNIST", ""]) {
    await assertRejectsWith(
      () => loadDataset(spec),
      UsageError,
      "data",
      new RegExp(
        `^data: expected mnist, fashion-mnist, idx:DIR, cifar10:DIR or cifar100:DIR, got "${spec}"$`,
      ),
    );
  }
});

Deno.test("idx:DIR with a missing directory names it", async () => {
  await withTempDir(async (dir) => {
    const absent = `${dir}/nothing`;
    await assertRejectsWith(
      () => loadDataset(`idx:${absent}`, { cacheDir: dir }),
      DataFormatError,
      absent,
      /directory not found/,
    );
  });
});

Deno.test("mnist: the second load comes from the cache with identical data", async () => {
  await withTempDir(async (cacheDir) => {
    const first = await loadDataset("mnist", { cacheDir });
    const path = `${cacheDir}/mnist.bin`;
    assert.ok((await Deno.stat(path)).size > 10000 * 785 * 4);
    assert.deepEqual(await loadDataset("mnist", { cacheDir }), first);
    // A cache entry under the current key is served as is: proof the second load read it.
    const key = await sourceKey("mnist", mnistBundleFiles());
    await writeCache(path, key, { ...first, name: "planted" });
    assert.equal((await loadDataset("mnist", { cacheDir })).name, "planted");
    assert.equal((await loadDataset("mnist", { cacheDir, cache: false })).name, "mnist");
  });
});

Deno.test("mnist: a truncated or damaged cache file is rebuilt", async () => {
  await withTempDir(async (cacheDir) => {
    const first = await loadDataset("mnist", { cacheDir });
    const path = `${cacheDir}/mnist.bin`;
    const good = await Deno.readFile(path);
    const flipped = good.slice();
    flipped[good.length >> 1] ^= 0xff;
    for (const bad of [good.subarray(0, 1000), flipped]) {
      await Deno.writeFile(path, bad);
      assert.deepEqual(await loadDataset("mnist", { cacheDir }), first);
      assert.deepEqual(await Deno.readFile(path), good);
    }
  });
});

Deno.test("idx:DIR is cached, and a changed source file invalidates the cache", async () => {
  await withTempDir(async (dir) => {
    const data = `${dir}/data`, cacheDir = `${dir}/cache`;
    await Deno.mkdir(data);
    await writeIdxDir(data, tinySplit(4, 2), false);
    const first = await loadDataset(`idx:${data}`, { cacheDir });
    assert.equal(first.name, `idx:${data}`);
    assert.equal(first.train.count, 4);
    assert.deepEqual(await loadDataset(`idx:${data}`, { cacheDir }), first);
    await writeIdxDir(data, tinySplit(6, 2), true);
    await Deno.remove(`${data}/train-images-idx3-ubyte`);
    await Deno.remove(`${data}/train-labels-idx1-ubyte`);
    assert.equal((await loadDataset(`idx:${data}`, { cacheDir })).train.count, 6);
  });
});

Deno.test("cache: false neither reads nor writes the cache", async () => {
  await withTempDir(async (dir) => {
    const data = `${dir}/data`, cacheDir = `${dir}/cache`;
    await Deno.mkdir(data);
    await writeIdxDir(data, tinySplit(), true);
    const split = await loadDataset(`idx:${data}`, { cacheDir, cache: false });
    assert.equal(split.train.count, 5);
    await assert.rejects(() => Deno.stat(cacheDir), Deno.errors.NotFound);
  });
});
