/**
 * The WebGPU kernels of the training step's fused ops against the CPU reference:
 * softmax cross-entropy at batch sizes beyond one workgroup (the PyTorch fixtures cover
 * small ones on both backends), the metric tally, and the device-side batch gather,
 * including images bound in several shards.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Backend, CrossEntropySpec } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { Rng } from "../../core/rng.ts";
import { gpuUnderTest } from "./webgpu.ts";

const cpu = createCpuBackend();
const { test: gpuTest } = await gpuUnderTest("tests/gpu/fused_step_ops_test.ts");

function random(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
}

function assertClose(a: Float32Array, e: Float32Array, rtol: number, label: string): void {
  assert.equal(a.length, e.length, `${label}: length`);
  for (let i = 0; i < e.length; i++) {
    const ok = Math.abs(a[i] - e[i]) <= 1e-5 + rtol * Math.abs(e[i]) ||
      (Number.isNaN(a[i]) && Number.isNaN(e[i]));
    assert.ok(ok, `${label}[${i}]: webgpu ${a[i]}, cpu ${e[i]}`);
  }
}

// Labels with every kind of target: classes, the ignore index, and out-of-range values.
function labelsFor(rng: Rng, rows: number, cols: number): Float32Array {
  return Float32Array.from({ length: rows }, () => {
    const u = rng.uniformIn(0, 1);
    return u < 0.05 ? -100 : u < 0.08 ? cols + 3 : Math.floor(rng.uniformIn(0, cols));
  });
}

gpuTest("softmaxCrossEntropy and its gradient: 1000 rows, every reduction", async (gpu) => {
  const rng = new Rng(3);
  const rows = 1000, cols = 10;
  const x = random(rng, rows * cols, -8, 8), y = labelsFor(rng, rows, cols);
  const w = random(rng, cols, 0.2, 2);
  for (const reduction of ["none", "sum", "mean"] as const) {
    for (const weighted of [false, true]) {
      const spec: CrossEntropySpec = {
        rows,
        cols,
        ignoreIndex: 4,
        labelSmoothing: 0.1,
        reduction,
        scale: 1 / 64,
      };
      const gy = random(rng, reduction === "none" ? rows : 1, 0.5, 1.5);
      const run = async (b: Backend) => {
        const [xs, ys] = [b.upload(x), b.upload(y)];
        const ws = weighted ? b.upload(w) : null;
        const totals = b.softmaxCrossEntropy(xs, ys, ws, spec);
        const gx = b.softmaxCrossEntropyBackward(xs, ys, ws, totals, b.upload(gy), spec);
        return [await b.read(totals), await b.read(gx)];
      };
      const [[lossGpu, gxGpu], [lossCpu, gxCpu]] = [await run(gpu), await run(cpu)];
      const label = `${reduction} weighted=${weighted}`;
      assertClose(lossGpu, lossCpu, 1e-4, `${label} loss`);
      assertClose(gxGpu, gxCpu, 1e-4, `${label} gradient`);
    }
  }
});

gpuTest("tallyPredictions adds the loss, the hits and the entropy of 700 rows", async (gpu) => {
  const rng = new Rng(4);
  const rows = 700, cols = 10;
  const x = random(rng, rows * cols), y = labelsFor(rng, rows, cols);
  const run = async (b: Backend) => {
    const sums = b.zeros(3, true);
    for (const scale of [64, 32]) {
      b.tallyPredictions({
        sums,
        logits: b.upload(x),
        labels: b.upload(y),
        loss: b.upload(Float32Array.of(0.25)),
        lossScale: scale,
        rows,
        cols,
      });
    }
    return await b.read(sums);
  };
  const [onGpu, onCpu] = [await run(gpu), await run(cpu)];
  assert.deepEqual(Array.from(onGpu.subarray(0, 2)), Array.from(onCpu.subarray(0, 2)));
  assert.ok(onCpu[1] > 0 && onCpu[1] < 2 * rows, `hits ${onCpu[1]}`);
  // The sum of 1,400 row entropies (thousands of bits) agrees to 1e-5 relative.
  assertClose(onGpu.subarray(2), onCpu.subarray(2), 1e-5, "entropy");
});

gpuTest(
  "gatherSamples: the rows and labels at the indices, out-of-range indices give zeros",
  async (gpu) => {
    const rng = new Rng(5);
    const count = 300, width = 7;
    const images = random(rng, count * width);
    const labels = Float32Array.from({ length: count }, (_, i) => i % 10);
    const idx = Float32Array.from([299, 0, 17, 300, -1, 17, 150]);
    const run = async (b: Backend) => {
      const { x, y } = b.gatherSamples(b.upload(images), b.upload(labels), b.upload(idx), width);
      return [await b.read(x), await b.read(y)];
    };
    const [[xGpu, yGpu], [xCpu, yCpu]] = [await run(gpu), await run(cpu)];
    assert.deepEqual(Array.from(xGpu), Array.from(xCpu));
    assert.deepEqual(Array.from(yGpu), Array.from(yCpu));
    assert.deepEqual(
      Array.from(xCpu.subarray(2 * width, 3 * width)),
      Array.from(images.subarray(17 * width, 18 * width)),
    );
    assert.deepEqual(Array.from(yCpu), [9, 0, 7, 0, 0, 7, 0]);
  },
);

gpuTest(
  "gatherSamples over images larger than one binding: every shard gathers its rows",
  async (gpu) => {
    const width = 4096; // 16 KiB rows: the binding limit holds far fewer samples than this set
    const bindingRows = gpu.gpu.device.limits.maxStorageBufferBindingSize / 4 / width;
    const count = Math.ceil(bindingRows * 1.5);
    const images = new Float32Array(count * width);
    for (let k = 0; k < count; k++) images.fill(k, k * width, (k + 1) * width);
    const labels = Float32Array.from({ length: count }, (_, k) => k % 10);
    const idx = Float32Array.from([count - 1, 0, Math.floor(bindingRows) + 1, 5, count]);
    const before = gpu.stats.dispatches;
    const { x, y } = gpu.gatherSamples(
      gpu.upload(images),
      gpu.upload(labels),
      gpu.upload(idx),
      width,
    );
    assert.equal(gpu.stats.dispatches - before, 2, "two shards, one dispatch each");
    const [xs, ys] = [await gpu.read(x), await gpu.read(y)];
    idx.forEach((k, r) => {
      const expected = k < count ? k : 0;
      assert.equal(xs[r * width], expected, `row ${r} first value`);
      assert.equal(xs[(r + 1) * width - 1], expected, `row ${r} last value`);
      assert.equal(ys[r], k < count ? k % 10 : 0, `label ${r}`);
    });
  },
);
