import assert from "node:assert/strict";
import { loadCifar10, loadCifar100 } from "../../../core/data/cifar.ts";
import { loadDataset } from "../../../core/data/source.ts";
import { DataFormatError, UsageError } from "../../../core/errors.ts";
import { inTempDir } from "../../temp_dir.ts";
import { assertRejectsWith } from "./helpers.ts";

const PIXELS = 3072;
const CIFAR10_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);

/**
 * A record's pixel bytes: every channel plane holds a different constant (so a decoder
 * that reorders channels fails) plus a ramp over the pixel's position (so one that
 * transposes or shifts pixels fails), all varying with `seed`.
 */
function recordPixels(seed: number): Uint8Array {
  return Uint8Array.from({ length: PIXELS }, (_, i) => {
    const channel = Math.floor(i / 1024), pos = i % 1024;
    return (seed * 7 + channel * 80 + pos * 3) % 256;
  });
}

/** File bytes: records of `labels` (each record's label bytes) and {@link recordPixels}. */
function records(labels: readonly (readonly number[])[], seed0: number): Uint8Array {
  const head = labels[0]?.length ?? 1;
  const out = new Uint8Array(labels.length * (head + PIXELS));
  labels.forEach((l, r) => {
    out.set(l, r * (head + PIXELS));
    out.set(recordPixels(seed0 + r), r * (head + PIXELS) + head);
  });
  return out;
}

async function writeCifar10(dir: string, perBatch = 2): Promise<void> {
  for (const [b, name] of CIFAR10_TRAIN.entries()) {
    const labels = Array.from({ length: perBatch }, (_, r) => [(b * perBatch + r) % 10]);
    await Deno.writeFile(`${dir}/${name}`, records(labels, b * perBatch));
  }
  await Deno.writeFile(`${dir}/test_batch.bin`, records([[9], [0], [3]], 100));
}

async function writeCifar100(dir: string): Promise<void> {
  await Deno.writeFile(`${dir}/train.bin`, records([[3, 42], [19, 99], [0, 0]], 0));
  await Deno.writeFile(`${dir}/test.bin`, records([[7, 15]], 50));
}

/** The f32 pixels a sample should decode to: `byte / 255` in file order. */
function expectedImage(seed: number): Float32Array {
  return Float32Array.from(recordPixels(seed), (b) => b / 255);
}

Deno.test("cifar10: the five training batches in order, the test batch, RGB planes", async () => {
  await inTempDir(async (dir) => {
    await writeCifar10(dir);
    const { train, test, name } = await loadCifar10(dir);
    assert.equal(name, `cifar10:${dir}`);
    assert.equal(train.count, 10);
    assert.deepEqual(train.sampleShape, [3, 32, 32]);
    assert.equal(train.classes, 10);
    assert.deepEqual([...train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let k = 0; k < train.count; k++) {
      assert.deepEqual(train.images.subarray(k * PIXELS, (k + 1) * PIXELS), expectedImage(k));
    }
    // Channel-major: red plane first; pixel (row 1, col 2) of the green plane is 1024 + 34.
    const first = train.images.subarray(0, PIXELS);
    assert.equal(first[0], 0);
    assert.equal(first[1024], Math.fround(80 / 255));
    assert.equal(first[1024 + 34], Math.fround(((80 + 34 * 3) % 256) / 255));
    assert.equal(first[2048], Math.fround(160 / 255));
    assert.equal(test.count, 3);
    assert.deepEqual([...test.labels], [9, 0, 3]);
    assert.deepEqual(test.images.subarray(2 * PIXELS), expectedImage(102));
  });
});

Deno.test("cifar100: fine labels by default, coarse on request, through --data", async () => {
  await inTempDir(async (dir) => {
    await writeCifar100(dir);
    const fine = await loadCifar100(dir);
    assert.deepEqual([...fine.train.labels], [42, 99, 0]);
    assert.equal(fine.train.classes, 100);
    assert.deepEqual(fine.train.images.subarray(PIXELS, 2 * PIXELS), expectedImage(1));
    assert.deepEqual([...fine.test.labels], [15]);
    const coarse = await loadCifar100(dir, "coarse");
    assert.deepEqual([...coarse.train.labels], [3, 19, 0]);
    assert.equal(coarse.train.classes, 20);
    assert.deepEqual(coarse.train.images, fine.train.images);

    const cacheDir = `${dir}/cache`;
    const spec = `cifar100:${dir}`;
    const viaSpec = await loadDataset(spec, { cacheDir });
    assert.deepEqual(viaSpec.train.labels, fine.train.labels);
    const viaSpecCoarse = await loadDataset(spec, { cacheDir, label: "coarse" });
    assert.deepEqual(viaSpecCoarse.train.labels, coarse.train.labels);
    // Both are cached, each under its own label, and come back from the cache unchanged.
    assert.equal((await Array.fromAsync(Deno.readDir(cacheDir))).length, 2);
    assert.deepEqual(await loadDataset(spec, { cacheDir, label: "coarse" }), viaSpecCoarse);
    assert.deepEqual(await loadDataset(spec, { cacheDir }), viaSpec);
  });
});

Deno.test("cifar10:DIR loads through --data and its cache", async () => {
  await inTempDir(async (dir) => {
    await writeCifar10(dir, 1);
    const cacheDir = `${dir}/cache`;
    const first = await loadDataset(`cifar10:${dir}`, { cacheDir });
    assert.equal(first.train.count, 5);
    assert.deepEqual(await loadDataset(`cifar10:${dir}`, { cacheDir }), first);
    assert.deepEqual(first, await loadCifar10(dir));
  });
});

Deno.test("--label coarse with anything but cifar100 is a usage error", async () => {
  await assertRejectsWith(
    () => loadDataset("mnist", { label: "coarse", cache: false }),
    UsageError,
    "label",
    /coarse labels exist only for cifar100:DIR, got --data "mnist"/,
  );
});

Deno.test("a missing directory or file is named", async () => {
  await inTempDir(async (dir) => {
    await assertRejectsWith(
      () => loadCifar10(`${dir}/absent`),
      DataFormatError,
      `${dir}/absent`,
      /directory not found, expected data_batch_1\.bin, .*test_batch\.bin/,
    );
    await writeCifar10(dir);
    await Deno.remove(`${dir}/data_batch_4.bin`);
    await assertRejectsWith(
      () => loadDataset(`cifar10:${dir}`, { cache: false }),
      DataFormatError,
      `${dir}/data_batch_4.bin`,
      /not found/,
    );
    await writeCifar100(dir);
    await Deno.remove(`${dir}/test.bin`);
    await assertRejectsWith(
      () => loadCifar100(dir),
      DataFormatError,
      `${dir}/test.bin`,
      /not found/,
    );
  });
});

Deno.test("a file that is empty or not a whole number of records is named", async () => {
  await inTempDir(async (dir) => {
    await writeCifar10(dir);
    const path = `${dir}/data_batch_2.bin`;
    const good = await Deno.readFile(path);
    await Deno.writeFile(path, good.subarray(0, good.length - 1));
    await assertRejectsWith(
      () => loadCifar10(dir),
      DataFormatError,
      path,
      /^\S+: 6145 bytes is not a whole number of records, expected a positive multiple of 3073 \(1 label byte \+ 3072 pixel bytes per record\)$/,
    );
    await Deno.writeFile(path, new Uint8Array(0));
    await assertRejectsWith(() => loadCifar10(dir), DataFormatError, path, /0 bytes is empty/);
    await writeCifar100(dir);
    // A CIFAR-10 record count of bytes is not a CIFAR-100 one.
    await Deno.writeFile(`${dir}/train.bin`, good);
    await assertRejectsWith(
      () => loadCifar100(dir),
      DataFormatError,
      `${dir}/train.bin`,
      /6146 bytes is not a whole number of records, expected a positive multiple of 3074 \(2 label bytes/,
    );
  });
});

Deno.test("a label out of range is named with its file and record", async () => {
  await inTempDir(async (dir) => {
    await writeCifar10(dir);
    await Deno.writeFile(`${dir}/test_batch.bin`, records([[1], [2], [10]], 0));
    await assertRejectsWith(
      () => loadCifar10(dir),
      DataFormatError,
      `${dir}/test_batch.bin`,
      /label 10 of record 2 is out of range, expected 0\.\.9$/,
    );
    const cases: [number[], RegExp][] = [
      [[20, 5], /coarse label 20 of record 1 is out of range, expected 0\.\.19$/],
      [[5, 100], /fine label 100 of record 1 is out of range, expected 0\.\.99$/],
    ];
    for (const [bad, pattern] of cases) {
      await writeCifar100(dir);
      await Deno.writeFile(`${dir}/train.bin`, records([[1, 1], bad], 0));
      // The coarse label is checked even when the fine one is used, and the other way round.
      for (const label of ["fine", "coarse"] as const) {
        await assertRejectsWith(
          () => loadCifar100(dir, label),
          DataFormatError,
          `${dir}/train.bin`,
          pattern,
        );
      }
    }
  });
});
