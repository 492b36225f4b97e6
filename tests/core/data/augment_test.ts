import assert from "node:assert/strict";
import { augmentBatch, type AugmentOptions, sampleTransform } from "../../../core/data/augment.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { normalize } from "../../../core/data/normalize.ts";
import { gatherBatch } from "../../../core/data/sampler.ts";
import { UsageError } from "../../../core/errors.ts";
import { Rng } from "../../../core/rng.ts";
import { createCpuBackend } from "../../../core/cpu/backend.ts";
import { defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import { fitConfig } from "../../../core/train/fit_config.ts";

const CROP_FLIP: AugmentOptions = { crop: 4, flip: true };

/** `count` images of shape [c, h, w] with pixels in (0, 1], never 0, labels `k % classes`. */
function images(count: number, c: number, h: number, w: number, classes = 3): Dataset {
  const rng = new Rng(count * 31 + h);
  return {
    images: Float32Array.from({ length: count * c * h * w }, () => 1 - rng.uniform()),
    labels: Float32Array.from({ length: count }, (_, k) => k % classes),
    count,
    sampleShape: [c, h, w],
    classes,
  };
}

const all = (n: number) => Uint32Array.from({ length: n }, (_, i) => i);

/**
 * torchvision's definition, written out independently: pad the [c, h, w] image with
 * `pad` pixels of `fill[c]` on every side, cut the h×w window whose top-left corner is
 * (pad + dy, pad + dx) in the padded image, then mirror it when `flip`.
 */
function reference(
  image: Float32Array,
  [c, h, w]: readonly number[],
  pad: number,
  t: { dy: number; dx: number; flip: boolean },
  fill: readonly number[],
): Float32Array {
  const ph = h + 2 * pad, pw = w + 2 * pad;
  const padded = new Float32Array(c * ph * pw);
  for (let ch = 0; ch < c; ch++) {
    padded.fill(fill[ch], ch * ph * pw, (ch + 1) * ph * pw);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        padded[ch * ph * pw + (y + pad) * pw + x + pad] = image[ch * h * w + y * w + x];
      }
    }
  }
  const out = new Float32Array(c * h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const cropped = padded[ch * ph * pw + (y + pad + t.dy) * pw + (x + pad + t.dx)];
        out[ch * h * w + y * w + (t.flip ? w - 1 - x : x)] = cropped;
      }
    }
  }
  return out;
}

Deno.test("sampleTransform is a function of (seed, epoch, index) alone", () => {
  const draws = (seed: number, epoch: number) =>
    Array.from({ length: 64 }, (_, k) => sampleTransform(CROP_FLIP, seed, epoch, k));
  assert.deepEqual(draws(3, 1), draws(3, 1));
  assert.notDeepEqual(draws(3, 1), draws(3, 2));
  assert.notDeepEqual(draws(3, 1), draws(4, 1));
  // Turning the flip on leaves every crop offset where it was.
  const cropOnly = Array.from(
    { length: 64 },
    (_, k) => sampleTransform({ crop: 4, flip: false }, 3, 1, k),
  );
  assert.deepEqual(
    cropOnly.map(({ dy, dx }) => [dy, dx]),
    draws(3, 1).map(({ dy, dx }) => [dy, dx]),
  );
  assert.ok(cropOnly.every((t) => !t.flip));
  const none = sampleTransform({ crop: 0, flip: false }, 3, 1, 0);
  assert.deepEqual(none, { dy: 0, dx: 0, flip: false });
});

Deno.test("crop offsets stay within ±padding and reach every position; flips are about half", () => {
  const pad = 4, n = 4000;
  const seen = new Map<string, number>();
  let flips = 0;
  for (let k = 0; k < n; k++) {
    const { dy, dx, flip } = sampleTransform(CROP_FLIP, 0, 0, k);
    assert.ok(Number.isInteger(dy) && Math.abs(dy) <= pad, `dy ${dy}`);
    assert.ok(Number.isInteger(dx) && Math.abs(dx) <= pad, `dx ${dx}`);
    seen.set(`${dy},${dx}`, (seen.get(`${dy},${dx}`) ?? 0) + 1);
    if (flip) flips++;
  }
  // 81 windows, each expected ~49 times: all occur, none wildly over- or under-drawn.
  assert.equal(seen.size, (2 * pad + 1) ** 2);
  for (const count of seen.values()) assert.ok(count > 20 && count < 90, `count ${count}`);
  assert.ok(Math.abs(flips / n - 0.5) < 0.03, `flip rate ${flips / n}`);
});

Deno.test("augmentBatch matches pad-crop-flip written out, with zero padding", () => {
  const ds = images(40, 3, 8, 6);
  const size = 3 * 8 * 6;
  for (const options of [CROP_FLIP, { crop: 2, flip: false }, { crop: 0, flip: true }]) {
    const indices = Uint32Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
    const { x } = gatherBatch(ds, indices);
    augmentBatch(x, indices, ds, options, 11, 5);
    let changed = 0;
    indices.forEach((k, r) => {
      const t = sampleTransform(options, 11, 5, k);
      const image = ds.images.subarray(k * size, (k + 1) * size);
      const got = x.subarray(r * size, (r + 1) * size);
      assert.deepEqual(got, reference(image, ds.sampleShape, options.crop, t, [0, 0, 0]));
      // Pixels are never 0, so the zeros are exactly the padding the window took in.
      const rows = 8 - Math.abs(t.dy), cols = 6 - Math.abs(t.dx);
      assert.equal(got.filter((v) => v === 0).length, 3 * (8 * 6 - rows * cols));
      if (t.dy !== 0 || t.dx !== 0 || t.flip) changed++;
    });
    assert.ok(changed >= 10, `only ${changed} of 40 samples changed`);
  }
});

Deno.test("a horizontal flip alone mirrors each row of each channel", () => {
  const ds = images(16, 2, 3, 4);
  const { x } = gatherBatch(ds, all(16));
  augmentBatch(x, all(16), ds, { crop: 0, flip: true }, 0, 0);
  let flipped = 0;
  for (let k = 0; k < 16; k++) {
    const mirror = sampleTransform({ crop: 0, flip: true }, 0, 0, k).flip;
    for (let c = 0; c < 2; c++) {
      for (let y = 0; y < 3; y++) {
        for (let col = 0; col < 4; col++) {
          const src = k * 24 + c * 12 + y * 4 + (mirror ? 3 - col : col);
          assert.equal(x[k * 24 + c * 12 + y * 4 + col], ds.images[src]);
        }
      }
    }
    if (mirror) flipped++;
  }
  assert.ok(flipped > 0 && flipped < 16);
});

Deno.test("a sample is transformed the same in any batch, shard or order", () => {
  const ds = images(12, 3, 5, 5);
  const whole = gatherBatch(ds, all(12)).x;
  augmentBatch(whole, all(12), ds, CROP_FLIP, 9, 2);
  const size = 75;
  for (const shard of [Uint32Array.of(7, 3), Uint32Array.of(11), Uint32Array.of(3, 0, 7, 5)]) {
    const { x } = gatherBatch(ds, shard);
    augmentBatch(x, shard, ds, CROP_FLIP, 9, 2);
    shard.forEach((k, r) => {
      assert.deepEqual(
        x.subarray(r * size, (r + 1) * size),
        whole.subarray(k * size, (k + 1) * size),
      );
    });
  }
});

Deno.test("on normalised data, augmenting equals torchvision's augment-then-normalise", () => {
  const raw = images(30, 3, 6, 6);
  const mean = [0.4914, 0.4822, 0.4465], std = [0.2470, 0.2435, 0.2616];
  const normalised = normalize(raw, mean, std);
  const indices = all(30);
  const x = gatherBatch(normalised, indices).x;
  augmentBatch(x, indices, normalised, CROP_FLIP, 1, 0);
  const rawX = gatherBatch(raw, indices).x;
  augmentBatch(rawX, indices, raw, CROP_FLIP, 1, 0);
  const expected = normalize({ ...raw, images: rawX }, mean, std).images;
  assert.deepEqual(x, expected);
  // The padding is what a black pixel normalises to, (0 − mean) / std, not 0.
  const blacks = mean.map((m, c) => Math.fround(Math.fround(-m) / Math.fround(std[c])));
  assert.ok(blacks.every((b) => x.includes(b)));
  assert.ok(!x.includes(0));
});

Deno.test("augmentation needs [C, H, W] samples and a padding >= 0", () => {
  const flat = { sampleShape: [12] };
  assert.throws(
    () => augmentBatch(new Float32Array(12), Uint32Array.of(0), flat, CROP_FLIP, 0, 0),
    (e) =>
      e instanceof UsageError &&
      /^randomCrop: needs image samples \[C, H, W\], got sample shape \[12\]$/.test(e.message),
  );
  assert.throws(
    () =>
      augmentBatch(new Float32Array(12), Uint32Array.of(0), flat, { crop: 0, flip: true }, 0, 0),
    (e) => e instanceof UsageError && e.message.startsWith("hflip: "),
  );
  assert.throws(
    () =>
      augmentBatch(
        new Float32Array(4),
        Uint32Array.of(0),
        { sampleShape: [1, 2, 2] },
        { crop: -1, flip: false },
        0,
        0,
      ),
    (e) =>
      e instanceof UsageError &&
      /^randomCrop: expected an integer >= 0, got -1$/.test(e.message),
  );
  // Off means untouched, whatever the shape.
  const x = Float32Array.of(1, 2, 3);
  augmentBatch(x, Uint32Array.of(0), { sampleShape: [3] }, { crop: 0, flip: false }, 0, 0);
  assert.deepEqual(x, Float32Array.of(1, 2, 3));
});

Deno.test("fit augments training batches only: with lr 0 the test metrics are unchanged", async () => {
  const train = images(48, 1, 4, 4), test = images(20, 1, 4, 4);
  const run = async (augment: AugmentOptions) => {
    const config: TrainConfig = {
      ...defaultTrainConfig,
      model: "16-3",
      epochs: 1,
      batchSize: 16,
      lr: 0,
      augment,
    };
    const options = { checkpointPath: null, metricsPath: null, evalEvery: 1, logEvery: 1 };
    return await fitConfig(config, createCpuBackend(), { train, test }, options);
  };
  const plain = await run({ crop: 0, flip: false });
  const augmented = await run({ crop: 2, flip: true });
  // Same parameters (nothing learnt), different training inputs, same test inputs.
  assert.notEqual(augmented.epochs[0].train.loss, plain.epochs[0].train.loss);
  assert.deepEqual(augmented.final, plain.final);
  assert.deepEqual(augmented.epochs[0].test, plain.epochs[0].test);
});
