/**
 * The fast CPU backend's host ops are bitwise the reference's: every unary and binary op on
 * values around its kinks, same-shape and under several broadcast patterns; sum and max
 * reductions (NaN included); and permutations with and without a contiguous trailing block.
 *
 * @module
 */

import type { Backend } from "../../core/backend.ts";
import { CpuStorage, createCpuBackend } from "../../core/cpu/backend.ts";
import {
  type BinaryOpName,
  binaryOps,
  type UnaryOpName,
  unaryOps,
} from "../../core/elementwise.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { assertEquals } from "../core/asserts.ts";

const reference = createCpuBackend();

function values(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: size }, (_, i) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // Mostly in [-4, 4), with exact zeros, ±1 and ±3 (kinks of relu, hardtanh, hardswish).
    return i % 11 === 0 ? [0, 1, -1, 3, -3][i % 5] : (s / 2 ** 32 - 0.5) * 8;
  });
}

function data(s: unknown): Float32Array {
  return (s as CpuStorage).data;
}

async function withFast(fn: (fast: Backend) => void): Promise<void> {
  const fast = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  try {
    fn(fast);
  } finally {
    fast.destroy();
  }
}

/** [aShape, bShape, outShape]: same shape, bias per channel, row, column, scalar, both ways. */
const BROADCASTS: [number[], number[], number[]][] = [
  [[4, 3, 5], [4, 3, 5], [4, 3, 5]],
  [[2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5]],
  [[6, 7], [7], [6, 7]],
  [[6, 7], [6, 1], [6, 7]],
  [[6, 7], [], [6, 7]],
  [[6, 1, 5], [1, 4, 1], [6, 4, 5]],
  [[1], [3, 1, 2], [3, 1, 2]],
];

Deno.test("every binary op, under every broadcast pattern, is bitwise the reference's", async () => {
  await withFast((fast) => {
    for (const op of Object.keys(binaryOps) as BinaryOpName[]) {
      BROADCASTS.forEach(([as, bs, os], i) => {
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const a = new CpuStorage(values(size(as), 3 * i + 1));
        const b = new CpuStorage(values(size(bs), 3 * i + 2));
        const want = reference.binary({
          op,
          a,
          aShape: as,
          b,
          bShape: bs,
          outShape: os,
          alpha: 0.3,
          beta: 2.5,
        });
        assertEquals(
          data(
            fast.binary({ op, a, aShape: as, b, bShape: bs, outShape: os, alpha: 0.3, beta: 2.5 }),
          ),
          data(want),
          `${op} ${i}`,
        );
      });
    }
  });
});

Deno.test("every unary op is bitwise the reference's", async () => {
  await withFast((fast) => {
    const x = new CpuStorage(values(257, 9));
    for (const op of Object.keys(unaryOps) as UnaryOpName[]) {
      assertEquals(
        data(fast.unary(op, x, { alpha: 0.7, beta: 1.5 })),
        data(reference.unary(op, x, { alpha: 0.7, beta: 1.5 })),
        op,
      );
    }
  });
});

Deno.test("affine, reductions and permutations are bitwise the reference's", async () => {
  await withFast((fast) => {
    const x = values(2 * 7 * 3 * 20, 70);
    x[33] = NaN;
    const xs = new CpuStorage(x);
    for (const op of ["sum", "max"] as const) {
      for (const [outer, len, inner] of [[1, 840, 1], [2, 7, 60], [14, 3, 20], [42, 20, 1]]) {
        const want = reference.reduce({ op, x: xs, outer, len, inner });
        assertEquals(
          data(fast.reduce({ op, x: xs, outer, len, inner })),
          data(want),
          `${op} ${len}`,
        );
      }
    }
    assertEquals(data(fast.affine(xs, 0.3, -1.7)), data(reference.affine(xs, 0.3, -1.7)));
    const shape = [2, 7, 3, 20];
    for (const dims of [[1, 0, 2, 3], [2, 1, 0, 3], [0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3]]) {
      const want = reference.permute(xs, shape, dims);
      assertEquals(data(fast.permute(xs, shape, dims)), data(want), `permute ${dims}`);
    }
  });
});

/** The bit patterns of `a`, every NaN as one (engines may canonicalise NaN payloads). */
function bits(a: Float32Array): Uint32Array {
  const copy = a.slice();
  copy.forEach((v, i) => Number.isNaN(v) && (copy[i] = NaN));
  return new Uint32Array(copy.buffer);
}

Deno.test("relu, relu_grad, add and mul of large tensors, in the kernels, are bitwise the reference's on 1, 2 and 3 threads", async () => {
  // Past the kernels' threshold and not a multiple of 4 or 16, with NaN, ±0 and ±Infinity.
  const size = (1 << 16) + 13;
  const x = values(size, 21), y = values(size, 22);
  x.set([NaN, -0, 0, Infinity, -Infinity, -NaN], 1000);
  y.set([-0, NaN, 5, -0, 7, 0], 1000);
  x[size - 1] = -0, y[size - 2] = NaN;
  const xs = new CpuStorage(x), ys = new CpuStorage(y), shape = [size];
  for (const threads of [1, 2, 3]) {
    const fast = await createFastCpuBackend({ threads, sgemm: "wasm" });
    try {
      assertEquals(
        bits(data(fast.unary("relu", xs))),
        bits(data(reference.unary("relu", xs))),
        `relu ${threads}`,
      );
      for (const op of ["relu_grad", "add", "mul"] as const) {
        const args = { op, a: xs, aShape: shape, b: ys, bShape: shape, outShape: shape };
        assertEquals(
          bits(data(fast.binary(args))),
          bits(data(reference.binary(args))),
          `${op} ${threads}`,
        );
      }
    } finally {
      fast.destroy();
    }
  }
});
