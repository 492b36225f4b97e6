/**
 * The linear layer's fused products (bias and activation applied as results are stored,
 * the activation's gradient computed as operand A is loaded) on every matmul variant of
 * gpu/kernels/matmul_family.ts, pinned one at a time, against the CPU reference, in the
 * vec4 form (8×12×16) and the scalar one (5×9×7). Other activations differ only in the
 * WGSL function the epilogue and operand call (tests/gpu/backend_test.ts covers each);
 * tanh keeps llvmpipe's shader compiles down to a minute. A file of its own beside
 * matmul_family_test.ts, so that the two share the test run's workers.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Backend, FusedActivation } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { Rng } from "../../core/rng.ts";
import { createWebGpuBackend } from "../../gpu/backend.ts";
import { MATMUL_FAMILY } from "../../gpu/kernels/matmul_family.ts";
import { gpuUnderTest } from "./webgpu.ts";

const { gpu, test } = await gpuUnderTest("tests/gpu/matmul_family_linear_test.ts");

const cpu = createCpuBackend();
const ACTS: FusedActivation[] = ["none", "tanh"];
for (const variant of MATMUL_FAMILY) {
  test(`linear and linearBackward on ${variant.name} match the CPU reference`, async () => {
    const backend = createWebGpuBackend(gpu!.gpu, { matmulVariant: variant.name });
    const rng = new Rng(11);
    const random = (n: number) => Float32Array.from({ length: n }, () => rng.uniformIn(-1, 1));
    for (const [m, k, n] of [[8, 12, 16], [5, 9, 7]]) {
      const x = random(m * k), w = random(n * k), bias = random(n), gy = random(m * n);
      for (const act of ACTS) {
        const run = async (b: Backend) => {
          const y = b.linear({ x: b.upload(x), w: b.upload(w), b: b.upload(bias), m, k, n, act });
          const g = b.linearBackward({
            x: b.upload(x),
            w: b.upload(w),
            y,
            gy: b.upload(gy),
            m,
            k,
            n,
            act,
            hasBias: true,
            needInputGrad: true,
          });
          const out = Promise.all([b.read(y), b.read(g.gx!), b.read(g.gw)]);
          b.endStep();
          return await out;
        };
        const [got, want] = [await run(backend), await run(cpu)];
        got.forEach((values, i) =>
          values.forEach((v, j) => {
            const e = want[i][j];
            assert.ok(
              Math.abs(v - e) <= 2e-6 * Math.sqrt(Math.max(m, k, n)) + 1e-4 * Math.abs(e),
              `${m}×${k}×${n} ${act} output ${i} [${j}]: ${v} vs ${e}`,
            );
          })
        );
      }
    }
  });
}
