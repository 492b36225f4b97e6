/**
 * The fast CPU backend against the reference: matrix products on odd shapes, every transpose
 * combination and batches, on both SIMD builds, 1 and 2 threads (bitwise equal to each
 * other), and through OpenBLAS where it loads; the fused linear and its backward; im2col and
 * col2im (bitwise equal to the reference).
 *
 * @module
 */

import type { Backend, Window2d } from "../../core/backend.ts";
import { CpuStorage, createCpuBackend } from "../../core/cpu/backend.ts";
import { createFastCpuBackend, type FastCpuOptions } from "../../cpu/backend.ts";
import { hasRelaxedSimd } from "../../cpu/kernels.ts";
import { OpenBlas, OPENBLAS_DEFAULT } from "../../cpu/openblas.ts";
import { assert, assertEquals } from "../core/asserts.ts";

const reference = createCpuBackend();
const relaxed = hasRelaxedSimd();
const blas = OpenBlas.open(OPENBLAS_DEFAULT);
const blasPresent = typeof blas !== "string";
if (typeof blas !== "string") blas.close();

/** m, k, n: edges of every micro-tile size, one and two threads' worth of work. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 1],
  [1, 63, 129],
  [17, 3, 63],
  [63, 129, 17],
  [129, 257, 65],
  [64, 300, 130],
  // More row tiles than column tiles (43 against 32), split by columns on two threads.
  [257, 33, 250],
];

function random(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: size }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

function data(s: unknown): Float32Array {
  return (s as CpuStorage).data;
}

/**
 * `|got − ref| ≤ (k + 2)·2⁻²⁴·Σ|a||b|` per element: the bound of a float32 sum of k products,
 * against the reference's float64 sum.
 */
function assertProductClose(
  got: Float32Array,
  a: Float32Array,
  b: Float32Array,
  dims: [number, number, number, boolean, boolean, number],
  what: string,
): void {
  const [m, k, n, ta, tb, batch] = dims;
  const s = (x: Float32Array) => new CpuStorage(x);
  const ref = data(reference.matmul({ a: s(a), b: s(b), m, k, n, transA: ta, transB: tb, batch }));
  const abs = (x: Float32Array) => x.map(Math.abs);
  const mag = data(
    reference.matmul({ a: s(abs(a)), b: s(abs(b)), m, k, n, transA: ta, transB: tb, batch }),
  );
  assertEquals(got.length, ref.length, what);
  for (let i = 0; i < ref.length; i++) {
    const tol = (k + 2) * 2 ** -24 * mag[i];
    assert(Math.abs(got[i] - ref[i]) <= tol, `${what}: [${i}] ${got[i]} vs ${ref[i]} (tol ${tol})`);
  }
}

async function withBackend(options: FastCpuOptions, fn: (b: Backend) => void): Promise<void> {
  const backend = await createFastCpuBackend(options);
  try {
    fn(backend);
  } finally {
    backend.destroy();
  }
}

/**
 * OpenBLAS goes to the kernel threads only with many multiply-adds per copied element
 * (cpu/backend.ts): this one does.
 */
const SGEMM_THREADED: [number, number, number] = [400, 400, 400];

/** Every product of `shapes` × transposes, and two batched ones, on `backend`. */
function products(backend: Backend, shapes = SHAPES): Float32Array[] {
  const outs: Float32Array[] = [];
  let seed = 1;
  for (const [m, k, n] of shapes) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const a = random(m * k, seed++), b = random(k * n, seed++);
        const out = data(
          backend.matmul({
            a: new CpuStorage(a),
            b: new CpuStorage(b),
            m,
            k,
            n,
            transA: ta,
            transB: tb,
          }),
        );
        assertProductClose(out, a, b, [m, k, n, ta, tb, 1], `${m}x${k}x${n} ${ta} ${tb}`);
        outs.push(out);
      }
    }
  }
  for (const [batch, m, k, n] of [[3, 17, 33, 9], [5, 64, 65, 66]]) {
    const a = random(batch * m * k, seed++), b = random(batch * k * n, seed++);
    const out = data(
      backend.matmul({ a: new CpuStorage(a), b: new CpuStorage(b), m, k, n, transA: true, batch }),
    );
    assertProductClose(out, a, b, [m, k, n, true, false, batch], `batch ${batch}`);
    outs.push(out);
  }
  return outs;
}

for (const simd of ["relaxed-simd", "simd128"] as const) {
  Deno.test({
    name: `wasm ${simd} GEMM matches the reference; 2 threads bitwise equal 1`,
    ignore: simd === "relaxed-simd" && !relaxed,
    async fn() {
      let one: Float32Array[] = [];
      await withBackend({ threads: 1, sgemm: "wasm", simd }, (b) => one = products(b));
      await withBackend({ threads: 2, sgemm: "wasm", simd }, (b) => {
        assert(b.description.includes(`wasm ${simd}, 2 threads; sgemm: wasm`), b.description);
        const two = products(b);
        two.forEach((x, i) => assertEquals(x, one[i], `product ${i}`));
      });
    },
  });
}

Deno.test({
  name: "OpenBLAS sgemm matches the reference; 2 threads bitwise equal 1",
  ignore: !blasPresent,
  async fn() {
    let one: Float32Array[] = [];
    await withBackend({ threads: 1, sgemm: "auto" }, (b) => {
      assert(b.description.includes("sgemm: openblas ("), b.description);
      one = products(b, [...SHAPES, SGEMM_THREADED]);
    });
    await withBackend({ threads: 2, sgemm: "auto" }, (b) => {
      products(b, [...SHAPES, SGEMM_THREADED]).forEach((x, i) => assertEquals(x, one[i], `${i}`));
    });
  },
});

Deno.test("a missing sgemm library is an error naming it", async () => {
  let message = "";
  try {
    await createFastCpuBackend({ threads: 1, sgemm: "/nonexistent/libblas.so" });
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(
    message,
    '--sgemm: expected auto, wasm or the path of an OpenBLAS library, got "/nonexistent/libblas.so"' +
      " (/nonexistent/libblas.so not loadable)",
  );
});

Deno.test("fused linear and its backward match the reference", async () => {
  await withBackend({ threads: 2, sgemm: "wasm" }, (fast) => {
    const [m, k, n] = [65, 129, 33];
    const s = (x: Float32Array) => new CpuStorage(x);
    const x = s(random(m * k, 7)), w = s(random(n * k, 8)), bias = s(random(n, 9));
    const gy = s(random(m * n, 10));
    for (const act of ["none", "relu", "tanh", "sigmoid"] as const) {
      const yRef = reference.linear({ x, w, b: bias, m, k, n, act });
      const y = fast.linear({ x, w, b: bias, m, k, n, act });
      closeTo(data(y), data(yRef), `linear ${act}`);
      const gRef = reference.linearBackward({
        x,
        w,
        y: yRef,
        gy,
        m,
        k,
        n,
        act,
        hasBias: true,
        needInputGrad: true,
      });
      const g = fast.linearBackward({
        x,
        w,
        y,
        gy,
        m,
        k,
        n,
        act,
        hasBias: true,
        needInputGrad: true,
      });
      closeTo(data(g.gx), data(gRef.gx), `gx ${act}`);
      closeTo(data(g.gw), data(gRef.gw), `gw ${act}`);
      closeTo(data(g.gb), data(gRef.gb), `gb ${act}`);
      const yNoBias = fast.linear({ x, w, b: null, m, k, n, act });
      closeTo(
        data(yNoBias),
        data(reference.linear({ x, w, b: null, m, k, n, act })),
        `${act}, no bias`,
      );
      const first = fast.linearBackward({
        x,
        w,
        y: yNoBias,
        gy,
        m,
        k,
        n,
        act,
        hasBias: false,
        needInputGrad: false,
      });
      assertEquals([first.gx, first.gb], [null, null], `${act}: a first layer without bias`);
    }
  });
});

function closeTo(got: Float32Array, want: Float32Array, what: string): void {
  assertEquals(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 + 1e-4 * Math.abs(want[i]);
    assert(Math.abs(got[i] - want[i]) <= tol, `${what}: [${i}] ${got[i]} vs ${want[i]}`);
  }
}

Deno.test("im2col, col2im and max pooling are bitwise the reference's on 1, 2 and 3 threads, with stride, padding and dilation", async () => {
  const windows: Window2d[] = [
    win(2, 3, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1),
    win(1, 2, 9, 8, 5, 3, 2, 3, 2, 0, 1, 2),
    win(3, 1, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1),
    win(2, 3, 8, 6, 2, 2, 2, 2, 0, 0, 1, 1),
    win(1, 1, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1),
    // Large enough to run on the threads, with channels that split unevenly between them.
    win(4, 3, 33, 31, 3, 3, 1, 1, 1, 1, 1, 1),
    win(8, 5, 30, 29, 3, 2, 2, 1, 1, 0, 2, 1),
  ];
  for (const threads of [1, 2, 3]) {
    await withBackend({ threads, sgemm: "wasm" }, (fast) => checkWindows(fast, windows));
  }
});

/** Each window's im2col, col2im and max pooling on `fast`, bitwise against the reference. */
function checkWindows(fast: Backend, windows: readonly Window2d[]): void {
  windows.forEach((wd, i) => {
    const x = new CpuStorage(random(wd.n * wd.c * wd.h * wd.w, 20 + i));
    const cols = fast.im2col(x, wd);
    assertEquals(data(cols), data(reference.im2col(x, wd)), `im2col ${i}`);
    const g = new CpuStorage(random(cols.size, 40 + i));
    assertEquals(data(fast.col2im(g, wd)), data(reference.col2im(g, wd)), `col2im ${i}`);
    // Halves give ties (and ±0) within windows, where the first tap must win.
    const withNaN = new CpuStorage(
      data(x).map((v, e) => e % 13 === 5 ? NaN : Math.round(v * 2) / 2),
    );
    const pooled = fast.maxPool2d(withNaN, wd), want = reference.maxPool2d(withNaN, wd);
    assertEquals(data(pooled.out), data(want.out), `maxPool2d ${i}`);
    assertEquals(data(pooled.indices), data(want.indices), `maxPool2d indices ${i}`);
    const gy = new CpuStorage(random(pooled.out.size, 60 + i));
    assertEquals(
      data(fast.maxPool2dBackward(gy, pooled.indices, wd)),
      data(reference.maxPool2dBackward(gy, want.indices, wd)),
      `maxPool2dBackward ${i}`,
    );
  });
}

function win(
  n: number,
  c: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  strideH: number,
  strideW: number,
  padH: number,
  padW: number,
  dilationH: number,
  dilationW: number,
): Window2d {
  const outH = Math.floor((h + 2 * padH - dilationH * (kh - 1) - 1) / strideH) + 1;
  const outW = Math.floor((w + 2 * padW - dilationW * (kw - 1) - 1) / strideW) + 1;
  return { n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW };
}

Deno.test({
  name: "a convolution's products read im2col's columns in place; 2 threads bitwise equal 1",
  ignore: typeof blas === "string",
  async fn() {
    // ResNet-like: 16 channels, 3×3, pad 1, on 4 planes of 32×32 (n = 4096 columns).
    const wd = win(4, 16, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1);
    const k = wd.c * wd.kh * wd.kw, n = wd.n * wd.outH * wd.outW, m = 16;
    const x = new CpuStorage(random(wd.n * wd.c * wd.h * wd.w, 81));
    const w = new CpuStorage(random(m * k, 82));
    const gy = new CpuStorage(random(m * n, 83));
    const run = (b: Backend) => {
      const cols = b.im2col(x, wd);
      const y = b.matmul({ a: w, b: cols, m, k, n });
      const gw = b.matmul({ a: gy, b: cols, m, k: n, n: k, transB: true });
      const gx = b.col2im(b.matmul({ a: w, b: gy, m: k, k: m, n, transA: true }), wd);
      const out = [y, gw, gx].map((s) => data(s).slice());
      b.endStep();
      return out;
    };
    let one: Float32Array[] = [];
    await withBackend({ threads: 1, sgemm: "auto" }, (b) => one = run(b));
    await withBackend({ threads: 2, sgemm: "auto" }, (b) => {
      const two = run(b);
      one.forEach((o, i) => assertEquals(two[i], o, `output ${i}`));
      // And the same values as the reference, within a float32 dot product's rounding.
      const ref = run(reference);
      ref.forEach((r, i) => closeTo(two[i], r, `reference ${i}`));
    });
  },
});

Deno.test("batch norm forward and backward are bitwise the reference's on 1, 2 and 3 threads", async () => {
  // [n, c, len]: small, odd, and large enough to run on the threads with an uneven split.
  const shapes = [[2, 3, 1], [5, 7, 9], [16, 5, 1031]] as const;
  const cases = shapes.flatMap((shape) =>
    [true, false].flatMap((affine) => [true, false].map((batch) => ({ shape, affine, batch })))
  );
  for (const threads of [1, 2, 3]) {
    await withBackend({ threads, sgemm: "wasm" }, (fast) => {
      cases.forEach(({ shape: [n, c, len], affine, batch }, i) => {
        const x = new CpuStorage(random(n * c * len, 90 + i).map((v) => 3 * v + 1));
        const gy = new CpuStorage(random(n * c * len, 120 + i));
        const weight = affine ? new CpuStorage(random(c, 150 + i)) : null;
        const bias = affine ? new CpuStorage(random(c, 180 + i)) : null;
        const stats = batch ? null : {
          mean: new CpuStorage(random(c, 210 + i)),
          variance: new CpuStorage(random(c, 240 + i).map((v) => v * v + 0.5)),
        };
        const args = { x, n, c, len, weight, bias, eps: 1e-5, stats };
        const label = `${threads} threads, [${n}, ${c}, ${len}], affine ${affine}, batch ${batch}`;
        const got = fast.batchNorm(args), want = reference.batchNorm(args);
        for (const k of ["y", "mean", "variance"] as const) {
          assertEquals(data(got[k]), data(want[k]), `${k}: ${label}`);
        }
        const back = { x, gy, mean: want.mean, variance: want.variance, weight, n, c, len };
        const grads = { ...back, eps: 1e-5, batchStats: batch };
        const g = fast.batchNormBackward(grads), gRef = reference.batchNormBackward(grads);
        assertEquals(data(g.gx), data(gRef.gx), `gx: ${label}`);
        assertEquals(
          g.gWeight && data(g.gWeight),
          gRef.gWeight && data(gRef.gWeight),
          `gγ: ${label}`,
        );
        assertEquals(g.gBias && data(g.gBias), gRef.gBias && data(gRef.gBias), `gβ: ${label}`);
        fast.endStep();
      });
    });
  }
});
