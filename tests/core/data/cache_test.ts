import assert from "node:assert/strict";
import { readCache, sourceKey, writeCache } from "../../../core/data/cache.ts";
import type { Dataset, DatasetSplit } from "../../../core/data/dataset.ts";
import { withTempDir } from "./helpers.ts";

function dataset(count: number, pixel: (i: number) => number): Dataset {
  return {
    images: Float32Array.from({ length: count * 6 }, (_, i) => pixel(i)),
    labels: Float32Array.from({ length: count }, (_, i) => i % 3),
    count,
    sampleShape: [1, 2, 3],
    classes: 3,
  };
}

// Byte pixels (stored as bytes) for train, arbitrary floats (stored as f32) for test.
const split: DatasetSplit = {
  name: "tiny",
  train: dataset(5, (i) => ((i * 37) % 256) / 255),
  test: dataset(3, (i) => Math.sin(i) * 7),
};

Deno.test("the cache round-trips both image encodings exactly and stores byte pixels as bytes", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/sub/tiny.bin`;
    await writeCache(path, "k1", split);
    assert.deepEqual(await readCache(path, "k1"), split);
    const f32Only = { ...split, train: dataset(5, (i) => i + 0.5) };
    await writeCache(`${dir}/f32.bin`, "k1", f32Only);
    assert.deepEqual(await readCache(`${dir}/f32.bin`, "k1"), f32Only);
    // After the header: train's 30 pixels as 30 bytes + 2 padding, then f32 sections for
    // train labels (5), test images (18) and test labels (3).
    const bytes = await Deno.readFile(path);
    const header = new DataView(bytes.buffer).getUint32(0, true);
    assert.equal(bytes.length - 4 - header, 32 + 4 * (5 + 18 + 3));
  });
});

Deno.test("a stale, truncated, damaged or foreign cache file reads as absent", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/c.bin`;
    assert.equal(await readCache(path, "k"), null);
    await writeCache(path, "k", split);
    const good = await Deno.readFile(path);
    assert.equal(await readCache(path, "other key"), null);
    const damaged: Uint8Array[] = [
      good.subarray(0, good.length - 4),
      good.subarray(0, 3),
      Uint8Array.from(good, (b, i) => i === good.length - 30 ? b ^ 0x10 : b),
      new TextEncoder().encode("not a cache file at all"),
      new Uint8Array(0),
    ];
    for (const bytes of damaged) {
      await Deno.writeFile(path, bytes);
      assert.equal(await readCache(path, "k"), null);
    }
  });
});

Deno.test("sourceKey changes with a source file's size or modification time", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/f`;
    await Deno.writeFile(file, new Uint8Array(4));
    await Deno.utime(file, 1000, 1000);
    const key = await sourceKey("idx:d", [file]);
    assert.equal(await sourceKey("idx:d", [file]), key);
    assert.notEqual(await sourceKey("idx:e", [file]), key);
    await Deno.utime(file, 1000, 2000);
    assert.notEqual(await sourceKey("idx:d", [file]), key);
    await Deno.writeFile(file, new Uint8Array(5));
    await Deno.utime(file, 1000, 1000);
    assert.notEqual(await sourceKey("idx:d", [file]), key);
  });
});
