/**
 * The WebGPU kernels behind gradient clipping and L-BFGS — whole-buffer dot products and
 * max-abs reductions (two passes once a buffer spans more than one workgroup), scaling to
 * a norm held on the device, clamping — against float64 host references at sizes that
 * reach every path; and the promise that clipping and a grouped optimizer step read
 * nothing back and, once warm, create nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { bindParameters } from "../../core/nn/flat_parameters.ts";
import { Parameter } from "../../core/nn/parameter.ts";
import { Optimizer } from "../../core/optim/optimizer.ts";
import { Rng } from "../../core/rng.ts";
import { assertClose } from "../core/asserts.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { test: gpuTest } = await gpuUnderTest("tests/gpu/optim_kernels_test.ts");

function random(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-1, 1);
  return out;
}

// One workgroup is 256 threads, and the first pass has at most 256 workgroups: these
// sizes cover empty, one partial workgroup, exactly one, two passes, and strided shares.
const SIZES = [0, 1, 255, 256, 257, 4099, 256 * 256 + 3, 300_001];

gpuTest("dot and maxAbs match float64 host sums at every size", async (g) => {
  const rng = new Rng(5);
  for (const n of SIZES) {
    const a = random(rng, n), b = random(rng, n);
    a[Math.floor(n / 2)] = n ? -3 : 0;
    let dot = 0, max = 0, absSum = 0;
    for (let i = 0; i < n; i++) {
      dot += a[i] * b[i];
      absSum += Math.abs(a[i] * b[i]);
      max = Math.max(max, Math.abs(a[i]));
    }
    const [gotDot] = await g.read(g.dot(g.upload(a), g.upload(b)));
    // Float32 summation error grows with the number of terms; bound it by their magnitude.
    assert.ok(Math.abs(gotDot - dot) <= 1e-6 * absSum + 1e-6, `dot n=${n}: ${gotDot} vs ${dot}`);
    assert.equal((await g.read(g.maxAbs(g.upload(a))))[0], Math.fround(max), `maxAbs n=${n}`);
    g.endStep();
  }
});

gpuTest("scaleToNorm and clampAbs match the CPU reference", async (g) => {
  const cpu = createCpuBackend();
  const rng = new Rng(6);
  for (const n of [5, 4099, 300_001]) {
    const x = random(rng, n).map((v) => v * 4);
    for (const [norm, maxNorm] of [[10, 1], [0.5, 1], [0, 0]]) {
      const ours = g.upload(x), ref = cpu.upload(x);
      g.scaleToNorm(ours, g.upload(Float32Array.of(norm)), maxNorm);
      cpu.scaleToNorm(ref, cpu.upload(Float32Array.of(norm)), maxNorm);
      assertClose(await g.read(ours), await cpu.read(ref), 1e-6, 1e-6, `scale n=${n} ${norm}`);
    }
    const ours = g.upload(x), ref = cpu.upload(x);
    g.clampAbs(ours, 0.7);
    cpu.clampAbs(ref, 0.7);
    assert.deepEqual(await g.read(ours), await cpu.read(ref), `clamp n=${n}`);
    g.endStep();
  }
});

gpuTest(
  "clipping and a grouped step read nothing back and, once warm, create nothing",
  (g) => {
    const rng = new Rng(7);
    const named: [string, Parameter][] = [["a", new Parameter([700], random(rng, 700))], [
      "b",
      new Parameter([300], random(rng, 300)),
    ]];
    const flat = bindParameters(g, named);
    const opt = new Optimizer("adam", flat, { lr: 0.01, clip: { maxNorm: 0.5, value: 0.01 } }, [
      { params: ["a"] },
      { params: ["b"], lr: 0.1 },
    ]);
    const grads = g.upload(random(rng, flat.size), true);
    const steps = () => {
      for (let i = 0; i < 3; i++) {
        g.copy(flat.grads, grads);
        opt.step();
      }
    };
    steps();
    g.endStep();
    const before = { ...g.stats };
    steps();
    assert.equal(g.stats.submits, before.submits, "nothing was submitted, so nothing read back");
    g.endStep();
    assert.equal(g.stats.submits, before.submits + 1);
    assert.equal(g.stats.buffersCreated, before.buffersCreated);
    assert.equal(g.stats.pipelinesCreated, before.pipelinesCreated);
    assert.ok(g.stats.dispatches > before.dispatches);
  },
);
