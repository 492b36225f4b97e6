import assert from "node:assert/strict";
import { ShapeError, UsageError } from "../../../core/errors.ts";
import type { Dataset } from "../../../core/data/dataset.ts";
import { channelStats, normalize } from "../../../core/data/normalize.ts";

// Two samples of shape [2, 1, 2]: channel 0 holds 0..3, channel 1 holds 10, 10, 20, 20.
const twoChannels: Dataset = {
  images: Float32Array.of(0, 1, 10, 10, 2, 3, 20, 20),
  labels: Float32Array.of(0, 1),
  count: 2,
  sampleShape: [2, 1, 2],
  classes: 2,
};

Deno.test("channelStats: mean and population std per channel", () => {
  const { mean, std } = channelStats(twoChannels);
  assert.deepEqual(mean, [1.5, 15]);
  assert.deepEqual(std, [Math.sqrt(1.25), 5]);
});

Deno.test("normalize: each channel by its own statistics, into a new dataset", () => {
  const before = twoChannels.images.slice();
  const { mean, std } = channelStats(twoChannels);
  const out = normalize(twoChannels, mean, std);
  assert.deepEqual(twoChannels.images, before);
  assert.equal(out.labels, twoChannels.labels);
  assert.deepEqual([...out.images.subarray(2, 4)], [-1, -1]);
  assert.deepEqual([...out.images.subarray(6, 8)], [1, 1]);
  const s = channelStats(out);
  for (let c = 0; c < 2; c++) {
    assert.ok(Math.abs(s.mean[c]) < 1e-7 && Math.abs(s.std[c] - 1) < 1e-6, `channel ${c}`);
  }
});

Deno.test("normalize rounds like PyTorch's f32 (x - mean) / std", () => {
  // Expected from NumPy float32 arithmetic; computing in f64 and rounding once gives
  // 1.643173336982727 instead.
  const ds = { ...twoChannels, images: Float32Array.of(0.6369616985321045), count: 1 };
  const out = normalize({ ...ds, sampleShape: [1, 1, 1] }, [0.1307], [0.3081]);
  assert.equal(out.images[0], 1.6431734561920166);
});

Deno.test("normalize rejects a wrong number of channels and a zero std", () => {
  assert.throws(() => normalize(twoChannels, [0], [1]), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /^normalize: expected 2 means and stds .*\[2, 1, 2\]\), got 1 and 1$/);
    return true;
  });
  assert.throws(() => normalize(twoChannels, [0, 0], [1, 0]), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /^normalize: channel 1 has standard deviation 0/);
    return true;
  });
});
