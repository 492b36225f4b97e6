/**
 * GpuClock on the backend: one span per submit while attached, none after, and a longer
 * product takes longer GPU time (so the spans measure the work, not a constant).
 *
 * @module
 */

import assert from "node:assert/strict";
import { GpuClock } from "../../gpu/gpu_clock.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { gpu, test } = await gpuUnderTest("tests/gpu/gpu_clock_test.ts");
const timestamps = gpu?.gpu.hasTimestampQuery ?? false;
if (gpu && !timestamps) console.log("gpu_clock_test.ts: the adapter has no timestamp-query");

test("the clock times each submit and grows with the work", async (backend) => {
  if (!timestamps) return;
  const clock = new GpuClock(backend.gpu.device, 8);
  const product = (n: number) => {
    const a = backend.upload(new Float32Array(n * n).fill(1));
    backend.matmul({ a, b: a, m: n, k: n, n });
    backend.endStep();
  };
  product(256); // compiles outside the timing
  backend.attachClock(clock);
  const submits = backend.stats.submits;
  product(64);
  product(384);
  backend.attachClock(null);
  product(64);
  assert.equal(backend.stats.submits - submits, 3);
  const spans = await clock.read();
  assert.equal(spans.length, 2);
  assert.ok(spans.every((ms) => ms > 0), `${spans}`);
  // 384³ is 216 times the work of 64³.
  assert.ok(spans[1] > 5 * spans[0], `${spans}`);
  assert.deepEqual(await clock.read(), []);
  clock.destroy();
});

test("a clock refuses more submits than it has room for", (backend) => {
  if (!timestamps) return;
  const clock = new GpuClock(backend.gpu.device, 1);
  const encoder = backend.gpu.device.createCommandEncoder();
  clock.mark(encoder);
  clock.mark(encoder);
  assert.throws(() => clock.mark(encoder), /more than 1 submits/);
  encoder.finish();
  clock.destroy();
});
