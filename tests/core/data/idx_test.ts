import assert from "node:assert/strict";
import { DataFormatError } from "../../../core/errors.ts";
import { parseIdx, readIdxFile, readIdxPair } from "../../../core/data/idx.ts";
import { assertRejectsWith, gzip, idxBytes, withTempDir } from "./helpers.ts";

Deno.test("parseIdx decodes the dimensions and data of a 3-d file", () => {
  const data = Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
  const r = parseIdx(idxBytes([2, 3, 4], data), "f");
  assert.deepEqual(r.dims, [2, 3, 4]);
  assert.deepEqual([...r.data], data);
});

Deno.test("parseIdx reads dimensions as big-endian u32", () => {
  const r = parseIdx(idxBytes([258, 1], new Uint8Array(258)), "f");
  assert.deepEqual(r.dims, [258, 1]);
});

for (const gz of [false, true]) {
  Deno.test(`readIdxFile and readIdxPair round-trip ${gz ? "gzip" : "raw"} files`, async () => {
    await withTempDir(async (dir) => {
      const pixels = Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 53) % 256);
      const images = idxBytes([3, 2, 4], pixels), labels = idxBytes([3], [7, 0, 9]);
      // No .gz suffix: compression is recognised by the magic bytes, not the name.
      const im = `${dir}/images`, lb = `${dir}/labels`;
      await Deno.writeFile(im, gz ? await gzip(images) : images);
      await Deno.writeFile(lb, gz ? await gzip(labels) : labels);
      assert.deepEqual((await readIdxFile(im)).dims, [3, 2, 4]);
      const ds = await readIdxPair(im, lb);
      assert.equal(ds.count, 3);
      assert.equal(ds.classes, 10);
      assert.deepEqual(ds.sampleShape, [1, 2, 4]);
      assert.deepEqual([...ds.labels], [7, 0, 9]);
      assert.deepEqual(ds.images, Float32Array.from(pixels, (p) => p / 255));
    });
  });
}

Deno.test("readIdxPair accepts labels below a custom class count", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeFile(`${dir}/x`, idxBytes([2, 1, 1], [0, 255]));
    await Deno.writeFile(`${dir}/y`, idxBytes([2], [0, 2]));
    const ds = await readIdxPair(`${dir}/x`, `${dir}/y`, 3);
    assert.equal(ds.classes, 3);
    assert.deepEqual([...ds.images], [0, 1]);
  });
});

Deno.test("IDX format errors name the file and what was expected", async () => {
  await withTempDir(async (dir) => {
    const f = `${dir}/x`;
    const cases: [Uint8Array, RegExp][] = [
      [
        idxBytes([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]).subarray(0, 21),
        /: IDX size mismatch: 21 bytes, expected 24 for dimensions \[2, 2, 2\] \(truncated\)$/,
      ],
      [
        idxBytes([2], [1, 2, 3]),
        /IDX size mismatch: 11 bytes, expected 10 for dimensions \[2\] \(extra bytes\)$/,
      ],
      [new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), /not an IDX file: magic number starts 0x01 0x02/],
      [idxBytes([1], [1], 0x0d), /IDX element type 0x0d is not supported, expected 0x08/],
      [new Uint8Array([0, 0, 8, 3, 0]), /truncated IDX header: 5 bytes, expected 16 for 3 dim/],
      [new Uint8Array([0, 0]), /truncated IDX file: 2 bytes, expected at least the 4-byte magic/],
      [idxBytes([], []), /declares 0 dimensions, expected at least 1/],
    ];
    for (const [bytes, pattern] of cases) {
      await Deno.writeFile(f, bytes);
      await assertRejectsWith(() => readIdxFile(f), DataFormatError, f, pattern);
    }
  });
});

Deno.test("a truncated gzip file and a missing file are data errors naming the file", async () => {
  await withTempDir(async (dir) => {
    const f = `${dir}/x.gz`;
    const packed = await gzip(idxBytes([100], new Uint8Array(100)));
    await Deno.writeFile(f, packed.subarray(0, packed.length - 12));
    await assertRejectsWith(() => readIdxFile(f), DataFormatError, f, /corrupt gzip data/);
    const missing = `${dir}/missing`;
    await assertRejectsWith(
      () => readIdxFile(missing),
      DataFormatError,
      missing,
      /cannot read the IDX file/,
    );
  });
});

Deno.test("readIdxPair rejects bad ranks, mismatched counts and labels out of range", async () => {
  await withTempDir(async (dir) => {
    const im = `${dir}/images`, lb = `${dir}/labels`;
    const pair = async (images: Uint8Array, labels: Uint8Array) => {
      await Deno.writeFile(im, images);
      await Deno.writeFile(lb, labels);
      return () => readIdxPair(im, lb);
    };
    const images = idxBytes([2, 1, 1], [0, 255]);
    await assertRejectsWith(
      await pair(images, idxBytes([3], [1, 2, 3])),
      DataFormatError,
      lb,
      new RegExp(`has 3 labels but ${im} has 2 images, expected equal counts`),
    );
    await assertRejectsWith(
      await pair(images, idxBytes([2], [1, 10])),
      DataFormatError,
      lb,
      /label 10 at index 1 is out of range, expected 0\.\.9/,
    );
    await assertRejectsWith(
      await pair(idxBytes([2, 2], [0, 1, 2, 3]), idxBytes([2], [1, 1])),
      DataFormatError,
      im,
      /expected 3 dimensions \(count, rows, cols\), got \[2, 2\]/,
    );
    await assertRejectsWith(
      await pair(images, idxBytes([2, 1], [1, 1])),
      DataFormatError,
      lb,
      /expected 1 dimension \(count\), got \[2, 1\]/,
    );
  });
});
