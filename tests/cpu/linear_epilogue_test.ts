/**
 * The linear layer's epilogue in the kernels (bias and relu after the product, and its
 * backward: relu's gradient with the bias gradient in one pass) against the host loops of
 * cpu/linear_epilogue.ts and cpu/elementwise.ts, bitwise, on both SIMD builds; and the fast
 * backend's fused linear with its operands in the kernels' memory (where that epilogue runs)
 * against the same layer on plain arrays (where the host loops run).
 *
 * @module
 */

import type { Backend, FusedActivation } from "../../core/backend.ts";
import { CpuStorage } from "../../core/cpu/backend.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { binaryFast } from "../../cpu/elementwise.ts";
import { hasRelaxedSimd, type SimdLevel } from "../../cpu/kernels.ts";
import { biasActivation, biasGrad } from "../../cpu/linear_epilogue.ts";
import { assert, assertEquals } from "../core/asserts.ts";
import { withHeldKernels } from "./held_kernels.ts";

const LEVELS: SimdLevel[] = hasRelaxedSimd() ? ["relaxed-simd", "simd128"] : ["simd128"];

/** Random values in [-0.5, 0.5), with zeros, -0, NaN, infinities and subnormals if `special`. */
function values(size: number, seed: number, special = true): Float32Array {
  let s = seed >>> 0;
  const odd = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40];
  return Float32Array.from({ length: size }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return special && i % 11 === 3 ? odd[(i >> 2) % odd.length] : s / 2 ** 32 - 0.5;
  });
}

/** The bits of each element, so that NaN equals NaN and -0 differs from 0. */
const bits = (x: Float32Array) => [...new Uint32Array(x.buffer, x.byteOffset, x.length)];

/** m × n: rows and columns below, at and past a vector of 4, and the MLP's hidden layer. */
const SHAPES: [number, number][] = [[1, 1], [3, 3], [2, 4], [5, 7], [7, 33], [64, 128]];

Deno.test("the kernels' bias + relu epilogue and its backward are bitwise the host loops'", async () => {
  for (const simd of LEVELS) {
    await withHeldKernels(simd, (kernels, held) => {
      for (const [m, n] of SHAPES) {
        const z = values(m * n, m * 31 + n), bias = values(n, n), gy = values(m * n, 5 + m);
        for (const act of ["relu", "none"] as const) {
          for (const b of [bias, null]) {
            const want = z.slice();
            biasActivation(want, b, m, n, act);
            const got = held(z);
            assert(kernels.biasActivation(got, b && held(b), m, n, act), `${simd} ran`);
            assertEquals(bits(got), bits(want), `${simd} ${m}×${n} ${act} bias ${!!b}`);
          }
        }
        const y = z; // the forward output: relu's gradient reads whether each is <= 0
        const size = [m * n];
        const gzWant = binaryFast("relu_grad", y, size, gy, size, size, 0, 0);
        const gz = held(new Float32Array(m * n)), gb = held(new Float32Array(n).fill(7));
        assert(kernels.reluGradBias(held(y), held(gy), gz, gb, m, n), `${simd} backward ran`);
        assertEquals(bits(gz), bits(gzWant), `${simd} ${m}×${n} relu gradient`);
        const gbWant = biasGrad(gzWant, m, n, new Float32Array(n));
        assertEquals(bits(gb), bits(gbWant), `${simd} ${m}×${n} bias gradient`);
        const gzOnly = held(new Float32Array(m * n));
        assert(kernels.reluGradBias(held(y), held(gy), gzOnly, null, m, n), "without bias");
        assertEquals(bits(gzOnly), bits(gzWant), `${simd} ${m}×${n} relu gradient, no bias`);
      }
      const outside = new Float32Array(4);
      assertEquals(kernels.biasActivation(outside, null, 1, 4, "relu"), false, "plain array");
      assertEquals(kernels.biasActivation(held(outside), null, 1, 4, "tanh"), false, "tanh");
      assertEquals(
        kernels.reluGradBias(held(outside), outside, held(outside), null, 1, 4),
        false,
        "a gradient outside the memory",
      );
    });
  }
});

/** A fused linear forward and backward with every operand made by `place`. */
function layer(b: Backend, place: (x: Float32Array) => CpuStorage, act: FusedActivation) {
  const [m, k, n] = [19, 37, 33];
  const x = place(values(m * k, 1, false)), w = place(values(n * k, 2, false));
  const bias = place(values(n, 3, false)), gy = place(values(m * n, 4, false));
  const y = b.linear({ x, w, b: bias, m, k, n, act });
  const dims = { x, w, y, gy, m, k, n, act, hasBias: true, needInputGrad: true };
  const g = b.linearBackward(dims);
  const d = (s: unknown) => bits((s as CpuStorage).data);
  return [d(y), d(g.gx), d(g.gw), d(g.gb)];
}

Deno.test("the fast backend's linear layer gives the same bits with its operands in the kernels' memory or not", async () => {
  for (const threads of [1, 2]) {
    const b = await createFastCpuBackend({ threads, sgemm: "wasm" });
    try {
      for (const act of ["relu", "none", "tanh"] as const) {
        const plain = layer(b, (x) => new CpuStorage(x), act);
        const held = layer(b, (x) => b.upload(x, true) as CpuStorage, act);
        assertEquals(held, plain, `${act} on ${threads} threads`);
        b.endStep();
      }
    } finally {
      b.destroy();
    }
  }
});
