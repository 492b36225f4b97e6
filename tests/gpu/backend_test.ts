/**
 * The WebGPU backend against the CPU reference: every Backend method on seeded random
 * inputs, with shapes of 1 and sizes that are multiples of no tile (the matmul tile is
 * 64×64×16, elementwise workgroups 256 wide, row workgroups 64), and the architecture's
 * promises (one submit per step, nothing created in a steady-state step) through `stats`.
 *
 * Tolerances, |gpu − cpu| ≤ atol + rtol·|cpu| elementwise:
 * - ELEMENTWISE (atol 1e-5, rtol 1e-4): WGSL bounds exp to 3 + 2·|x| ULP and log to 3
 *   ULP (2⁻²¹ absolute near 1), and may contract a·b + c into an FMA; the CPU evaluates in
 *   double and rounds once. Inputs stay within |x| ≤ 4, so exp is within ~11 ULP ≈ 1.3e-6
 *   relative; rtol leaves 75× room, atol covers results that cancel to near 0. Optimizer
 *   states after three steps and the five-step training run are held to it too.
 * - PRODUCTS (atol 2e-6·√k, rtol 1e-4): the CPU sums k products in double, the GPU in f32
 *   in a different order. Rounding errors of a k-term f32 sum grow like √k·u·|term| (u =
 *   6e-8, terms ≤ 1 here), so atol scales with √k. Reductions over len use it with len.
 * - Worst measured, as a fraction of the tolerance: ELEMENTWISE 0.009 on llvmpipe and
 *   0.013 on an H100; PRODUCTS 0.24 and 0.21 (matmul 130×784×10).
 *
 * Without a WebGPU adapter every GPU test is registered as ignored and the reason printed.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Backend, FusedActivation, OptimizerHyper, Storage } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import {
  type BinaryOpName,
  binaryOps,
  type UnaryOpName,
  unaryOps,
} from "../../core/elementwise.ts";
import { type OptimizerKind, optimizerRecord } from "../../core/optim/kinds.ts";
import { hyperAt, resolveSettings } from "../../core/optim/settings.ts";
import { Rng } from "../../core/rng.ts";
import { sizeOf } from "../../core/shape.ts";
import { createWebGpuBackend } from "../../gpu/backend.ts";
import { acquireGpu, GpuUnavailableError, GpuValidationError } from "../../gpu/device.ts";
import { binaryWgsl, unaryWgsl } from "../../gpu/kernels/elementwise.ts";
import type { GpuStats } from "../../gpu/stats.ts";
import { gpuUnderTest } from "./webgpu.ts";

interface Tolerance {
  atol: number;
  rtol: number;
}

const ELEMENTWISE: Tolerance = { atol: 1e-5, rtol: 1e-4 };
const products = (k: number): Tolerance => ({ atol: 2e-6 * Math.sqrt(Math.max(k, 1)), rtol: 1e-4 });

const cpu = createCpuBackend();
const { test: gpuTest } = await gpuUnderTest("tests/gpu/backend_test.ts");

function random(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniformIn(lo, hi));
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol }: Tolerance,
  label: string,
): void {
  assert.equal(actual.length, expected.length, `${label}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    const ok = Object.is(a, e) || Math.abs(a - e) <= atol + rtol * Math.abs(e) ||
      (Number.isNaN(a) && Number.isNaN(e));
    assert.ok(ok, `${label}[${i}]: webgpu ${a}, cpu ${e} (atol ${atol}, rtol ${rtol})`);
  }
}

/**
 * Runs `op` on both backends (it uploads its own inputs) and compares every storage it
 * returns.
 */
async function compare(
  gpu: Backend,
  label: string,
  tol: Tolerance,
  op: (b: Backend) => Storage | readonly (Storage | null)[],
): Promise<void> {
  const list = (r: Storage | readonly (Storage | null)[]) => ("size" in r ? [r] : r);
  const expected = list(op(cpu));
  const actual = list(op(gpu));
  assert.equal(actual.length, expected.length);
  // Every output's read-back is issued before any is awaited: they wait out one map latency.
  const got = await Promise.all(actual.map((a) => a && gpu.read(a)));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = got[i];
    assert.equal(a === null, e === null, `${label}: output ${i} presence`);
    if (a && e) assertClose(a, await cpu.read(e), tol, `${label} #${i}`);
  }
}

Deno.test("webgpu: the WGSL op table names exactly the ops of core/elementwise.ts", () => {
  assert.deepEqual(Object.keys(unaryWgsl).sort(), Object.keys(unaryOps).sort());
  assert.deepEqual(Object.keys(binaryWgsl).sort(), Object.keys(binaryOps).sort());
});

Deno.test("webgpu: a missing adapter is a GpuUnavailableError that says what to install", async () => {
  const error = await acquireGpu({ gpu: { requestAdapter: () => Promise.resolve(null) } })
    .then(() => null, (e) => e);
  assert.ok(error instanceof GpuUnavailableError);
  assert.equal(error.exitCode, 1);
  assert.equal(
    error.message,
    "no WebGPU adapter found: install Mesa's Vulkan driver " +
      "(apt-get install -y mesa-vulkan-drivers libegl-mesa0), or use --backend cpu",
  );
});

// Inputs per unary op, inside each op's domain and |x| ≤ 4 (see ELEMENTWISE), plus wide
// ranges where tanh, sigmoid and the other saturating activations saturate.
const unaryInputs: Record<
  UnaryOpName,
  { lo: number; hi: number; alpha?: number; beta?: number }[]
> = {
  neg: [{ lo: -4, hi: 4 }],
  exp: [{ lo: -4, hi: 4 }],
  log: [{ lo: 0.01, hi: 4 }],
  abs: [{ lo: -4, hi: 4 }],
  sign: [{ lo: -4, hi: 4 }],
  sqrt: [{ lo: 0, hi: 4 }],
  square: [{ lo: -4, hi: 4 }],
  recip: [{ lo: 0.25, hi: 4 }, { lo: -4, hi: -0.25 }],
  relu: [{ lo: -4, hi: 4 }],
  tanh: [{ lo: -4, hi: 4 }, { lo: -100, hi: 100 }],
  sigmoid: [{ lo: -4, hi: 4 }, { lo: -200, hi: 200 }],
  pow: [
    { lo: -2, hi: 2, alpha: 2 },
    { lo: -2, hi: 2, alpha: 3 },
    { lo: 0, hi: 4, alpha: 0.5 },
    { lo: -2, hi: 2, alpha: 0 },
  ],
  gt: [{ lo: -1, hi: 1, alpha: 0.25 }],
  leaky_relu: [{ lo: -4, hi: 4, alpha: 0.2 }],
  elu: [{ lo: -4, hi: 4, alpha: 1.5 }, { lo: -100, hi: 100, alpha: 1 }],
  selu: [{ lo: -4, hi: 4 }, { lo: -100, hi: 100 }],
  celu: [{ lo: -4, hi: 4, alpha: 0.7 }],
  gelu: [{ lo: -4, hi: 4 }, { lo: -100, hi: 100 }],
  gelu_tanh: [{ lo: -4, hi: 4 }, { lo: -100, hi: 100 }],
  silu: [{ lo: -4, hi: 4 }, { lo: -200, hi: 200 }],
  mish: [{ lo: -4, hi: 4 }, { lo: -200, hi: 200 }],
  hardswish: [{ lo: -4, hi: 4 }],
  hardsigmoid: [{ lo: -4, hi: 4 }],
  hardtanh: [{ lo: -4, hi: 4, alpha: -1.5, beta: 0.5 }],
  log_sigmoid: [{ lo: -4, hi: 4 }, { lo: -200, hi: 200 }],
  softsign: [{ lo: -4, hi: 4 }],
  softplus: [{ lo: -4, hi: 4, alpha: 1, beta: 20 }, { lo: -200, hi: 200, alpha: 1.5, beta: 20 }],
  sin: [{ lo: -4, hi: 4 }],
  sign_ste: [{ lo: -4, hi: 4 }],
  softshrink: [{ lo: -4, hi: 4, alpha: 0.5 }],
};

gpuTest("unary: every op, sizes 1 and 1037", async (gpu) => {
  const rng = new Rng(1);
  // Each comparison issues its read-backs at once; all are awaited together at the end.
  const checks: Promise<void>[] = [];
  for (const op of Object.keys(unaryOps) as UnaryOpName[]) {
    for (const { lo, hi, alpha, beta } of unaryInputs[op]) {
      for (const n of [1, 1037]) {
        const x = random(rng, n, lo, hi);
        checks.push(compare(
          gpu,
          `${op}(α=${alpha}, β=${beta})`,
          ELEMENTWISE,
          (b) => b.unary(op, b.upload(x), { alpha, beta }),
        ));
      }
    }
  }
  await Promise.all(checks);
});

// Scalar parameters (alpha, beta) of the activation gradients that have them.
const binaryScalars: Partial<Record<BinaryOpName, [number, number]>> = {
  leaky_relu_grad: [0.2, 0],
  elu_grad: [1.5, 0],
  celu_grad: [0.7, 0],
  hardtanh_grad: [-0.5, 0.25],
  softplus_grad: [1.5, 0.5],
  softshrink_grad: [0.5, 0],
};

gpuTest("binary: every op on equal shapes", async (gpu) => {
  const rng = new Rng(2);
  for (const op of Object.keys(binaryOps) as BinaryOpName[]) {
    // Activation gradients see their kinks (±3 for hardswish) in [-4, 4].
    const a = op.endsWith("_grad") ? random(rng, 1037, -4, 4) : random(rng, 1037);
    const c = random(rng, 1037, 0.5, 2);
    // Every third pair equal, so `eq` sees both answers.
    for (let i = 0; i < a.length; i += 3) c[i] = a[i];
    const s = [1037];
    const [alpha, beta] = binaryScalars[op] ?? [0, 0];
    await compare(
      gpu,
      `${op}(α=${alpha}, β=${beta})`,
      ELEMENTWISE,
      (b) =>
        b.binary({
          op,
          a: b.upload(a),
          aShape: s,
          b: b.upload(c),
          bShape: s,
          outShape: s,
          alpha,
          beta,
        }),
    );
  }
});

gpuTest("binary: NumPy broadcasting, up to rank 6", async (gpu) => {
  const rng = new Rng(3);
  const cases: [number[], number[], number[]][] = [
    [[3, 1, 5], [4, 1], [3, 4, 5]],
    [[7, 33], [], [7, 33]],
    [[], [7, 33], [7, 33]],
    [[7, 33], [33], [7, 33]],
    [[7, 1], [1, 33], [7, 33]],
    [[2, 1, 3, 1, 2, 3], [3, 2, 1], [2, 1, 3, 3, 2, 3]],
    [[1, 1], [1], [1, 1]],
  ];
  for (const [aShape, bShape, outShape] of cases) {
    const a = random(rng, sizeOf(aShape));
    const c = random(rng, sizeOf(bShape), 0.5, 2);
    for (const op of ["add", "sub", "div", "relu_grad"] as const) {
      await compare(
        gpu,
        `${op} [${aShape}] [${bShape}]`,
        ELEMENTWISE,
        (b) => b.binary({ op, a: b.upload(a), aShape, b: b.upload(c), bShape, outShape }),
      );
    }
  }
});

gpuTest("expand and affine", async (gpu) => {
  const rng = new Rng(4);
  const x = random(rng, 5);
  await compare(gpu, "expand", ELEMENTWISE, (b) => b.expand(b.upload(x), [1, 5], [3, 4, 5]));
  await compare(
    gpu,
    "expand scalar",
    ELEMENTWISE,
    (b) => b.expand(b.upload(x.slice(0, 1)), [], [9]),
  );
  const y = random(rng, 1037, -4, 4);
  await compare(gpu, "affine", ELEMENTWISE, (b) => b.affine(b.upload(y), -1.5, 0.25));
});

gpuTest("reduce: sum and max over each axis of a 3-d shape, and over nothing", async (gpu) => {
  const rng = new Rng(5);
  const shape = [6, 7, 33];
  const x = random(rng, sizeOf(shape));
  for (const op of ["sum", "max"] as const) {
    for (let axis = 0; axis < 3; axis++) {
      const outer = sizeOf(shape.slice(0, axis));
      const inner = sizeOf(shape.slice(axis + 1));
      const len = shape[axis];
      await compare(
        gpu,
        `${op} axis ${axis}`,
        products(len),
        (b) => b.reduce({ op, x: b.upload(x), outer, len, inner }),
      );
    }
    await compare(
      gpu,
      `${op} all`,
      products(x.length),
      (b) => b.reduce({ op, x: b.upload(x), outer: 1, len: x.length, inner: 1 }),
    );
    await compare(
      gpu,
      `${op} len 0`,
      ELEMENTWISE,
      (b) => b.reduce({ op, x: b.zeros(0), outer: 3, len: 0, inner: 2 }),
    );
  }
});

const MATMUL_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 33],
  [65, 129, 17],
  [130, 784, 10],
];

gpuTest("matmul: tile-unaligned shapes, all four transpose combinations", async (gpu) => {
  const rng = new Rng(6);
  for (const [m, k, n] of MATMUL_SHAPES) {
    const a = random(rng, m * k), c = random(rng, k * n);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        await compare(
          gpu,
          `matmul ${m}×${k}×${n} transA=${transA} transB=${transB}`,
          products(k),
          (b) => b.matmul({ a: b.upload(a), b: b.upload(c), m, k, n, transA, transB }),
        );
      }
    }
  }
  await compare(
    gpu,
    "matmul k=0",
    ELEMENTWISE,
    (b) => b.matmul({ a: b.zeros(0), b: b.zeros(0), m: 3, k: 0, n: 5 }),
  );
});

const ACTIVATIONS: FusedActivation[] = ["none", "relu", "tanh", "sigmoid"];

gpuTest("linear and linearBackward: every activation, with and without bias", async (gpu) => {
  const rng = new Rng(7);
  // Each comparison issues its read-backs at once; all are awaited together at the end.
  const checks: Promise<void>[] = [];
  for (const [m, k, n] of [[1, 7, 33], [65, 129, 17]]) {
    const x = random(rng, m * k), w = random(rng, n * k), bias = random(rng, n);
    const gy = random(rng, m * n);
    for (const act of ACTIVATIONS) {
      for (const hasBias of [false, true]) {
        const label = `${m}×${k}×${n} ${act} bias=${hasBias}`;
        const forward = (b: Backend) =>
          b.linear({
            x: b.upload(x),
            w: b.upload(w),
            b: hasBias ? b.upload(bias) : null,
            m,
            k,
            n,
            act,
          });
        checks.push(compare(gpu, `linear ${label}`, products(k), forward));
        // The backward pass gets the CPU's forward output, so both differentiate at one point.
        const y = await cpu.read(forward(cpu));
        checks.push(compare(gpu, `linearBackward ${label}`, products(Math.max(m, n)), (b) => {
          const g = b.linearBackward({
            x: b.upload(x),
            w: b.upload(w),
            y: b.upload(y),
            gy: b.upload(gy),
            m,
            k,
            n,
            act,
            hasBias,
            needInputGrad: true,
          });
          return [g.gx!, g.gw, g.gb];
        }));
      }
    }
  }
  await Promise.all(checks);
});

gpuTest("softmax and log-softmax: rows of 1, 10 and 300 columns, and ±1e4 logits", async (gpu) => {
  const rng = new Rng(8);
  for (const [rows, cols] of [[1, 1], [37, 10], [3, 300]]) {
    const x = random(rng, rows * cols, -4, 4);
    for (const log of [false, true]) {
      await compare(
        gpu,
        `softmax ${rows}×${cols} log=${log}`,
        ELEMENTWISE,
        (b) => b.softmax({ x: b.upload(x), rows, cols, log }),
      );
    }
  }
  const extreme = new Float32Array([1e4, -1e4, 0, 1e4, -1e4, -1e4, 5e3, 0]);
  for (const log of [false, true]) {
    const out = await gpu.read(gpu.softmax({ x: gpu.upload(extreme), rows: 2, cols: 4, log }));
    assert.ok(out.every(Number.isFinite), `softmax log=${log} of ±1e4 is finite: ${out}`);
    await compare(
      gpu,
      `softmax ±1e4 log=${log}`,
      ELEMENTWISE,
      (b) => b.softmax({ x: b.upload(extreme), rows: 2, cols: 4, log }),
    );
  }
});

gpuTest("gather, scatter and argmax, with out-of-range indices and ties", async (gpu) => {
  const rng = new Rng(9);
  const rows = 300, cols = 10;
  const x = random(rng, rows * cols);
  const idx = Float32Array.from(
    { length: rows },
    (_, r) => [-1, cols, 100, -100][r % 17] ?? rng.int(cols),
  );
  const g = random(rng, rows);
  await compare(
    gpu,
    "gather",
    ELEMENTWISE,
    (b) => b.gather(b.upload(x), b.upload(idx), rows, cols),
  );
  await compare(
    gpu,
    "scatter",
    ELEMENTWISE,
    (b) => b.scatter(b.upload(g), b.upload(idx), rows, cols),
  );
  const ties = x.map((v, i) => (i % 3 === 0 ? 0.5 : Math.min(v, 0.5)));
  await compare(gpu, "argmax ties", ELEMENTWISE, (b) => b.argmax(b.upload(ties), rows, cols));
  await compare(gpu, "argmax", ELEMENTWISE, (b) => b.argmax(b.upload(x), rows, cols));
});

gpuTest("views into a flat buffer: read, write, axpy, copy and ops at offsets", async (gpu) => {
  const rng = new Rng(10);
  const align = gpu.viewAlignment;
  const flat = random(rng, 6 * align + 5);
  const a = random(rng, 2 * align + 3), c = random(rng, 2 * align + 3);
  await compare(gpu, "views", ELEMENTWISE, (b) => {
    const base = b.upload(flat, true);
    const first = b.view(base, align, 2 * align + 3);
    const second = b.view(base, 4 * align, 2 * align + 3);
    b.axpy(first, b.upload(a), 0.5);
    b.axpy(second, first, -2); // both operands in one buffer
    const e = b.unary("exp", second);
    b.copy(first, second); // a copy within one buffer
    b.write(b.view(base, 0, 3), c.subarray(0, 3));
    return [base, e, b.view(base, 2 * align, 5)];
  });
  assert.throws(() => gpu.view(gpu.zeros(4 * align), 1, 2), /multiple of/);
});

gpuTest("axpy and copy", async (gpu) => {
  const rng = new Rng(11);
  const x = random(rng, 1037), y = random(rng, 1037);
  await compare(gpu, "axpy", ELEMENTWISE, (b) => {
    const d = b.upload(x);
    b.axpy(d, b.upload(y), 0.3);
    return d;
  });
  await compare(gpu, "copy", ELEMENTWISE, (b) => {
    const d = b.zeros(1037);
    b.copy(d, b.upload(y));
    return d;
  });
});

// Step 1 of SGD's defaults (lr 0.01, no decay, no momentum); each case overrides its own.
const HYPER: OptimizerHyper = hyperAt(resolveSettings("sgd"), 1);

const OPTIMIZER_CASES: [OptimizerKind, Partial<OptimizerHyper>][] = [
  ["sgd", {}],
  ["sgd", { momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }],
  ["sgd", { momentum: 0.9, nesterov: true, maximize: true }],
  ["adam", {}],
  ["adam", { amsgrad: true, weightDecay: 0.1, maximize: true }],
  ["adamw", { weightDecay: 0.1 }],
  ["adamw", { weightDecay: 0.1, amsgrad: true, lr: 0.1 }],
  ["asgd", { weightDecay: 0.1, eta: 0.01, mu: 0.5, lambd: 0.1 }],
  ["asgd", { eta: 0.02, mu: 1, maximize: true }],
  ["adagrad", { lrDecay: 0.1, weightDecay: 0.1, eps: 1e-10 }],
  ["adadelta", { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0.1, maximize: true }],
  ["rmsprop", { alpha: 0.99 }],
  ["rmsprop", { alpha: 0.9, momentum: 0.9, centered: true, weightDecay: 0.1 }],
  ["adamax", { lr: 2e-3, weightDecay: 0.1, maximize: true }],
  ["nadam", { lr: 2e-3, momentumDecay: 4e-3, muProduct: 0.8, weightDecay: 0.1 }],
  ["radam", {}],
  ["radam", { weightDecay: 0.1, beta2: 0.9 }],
  ["rprop", { maximize: true }],
  ["sparse-adam", { rowSize: 10 }],
];

gpuTest(
  "optimizerStep: each kind, three steps, against its record's reference update",
  async (gpu) => {
    const rng = new Rng(12);
    const n = 1037;
    for (const [kind, options] of OPTIMIZER_CASES) {
      const p = random(rng, n);
      const { kernel } = optimizerRecord(kind);
      const hostState = kernel.stateNames.map(() => new Float32Array(n));
      const params = gpu.upload(p, true);
      const state = hostState.map(() => gpu.zeros(n, true));
      for (let step = 1; step <= 3; step++) {
        const g = random(rng, n);
        const hyper = { ...HYPER, ...options, step };
        kernel.update(p, g, hostState, hyper);
        gpu.optimizerStep({ kernel, params, grads: gpu.upload(g), state, hyper });
        gpu.endStep();
      }
      const label = `${kind} ${JSON.stringify(options)}`;
      assertClose(await gpu.read(params), p, ELEMENTWISE, `${label} params`);
      for (let s = 0; s < state.length; s++) {
        assertClose(await gpu.read(state[s]), hostState[s], ELEMENTWISE, `${label} state ${s}`);
      }
    }
  },
);

gpuTest("zero-size storages work and dispatch nothing", async (gpu) => {
  const before = gpu.stats.dispatches;
  const empty = gpu.upload(new Float32Array(0));
  assert.equal((await gpu.read(gpu.unary("exp", empty))).length, 0);
  assert.equal((await gpu.read(gpu.zeros(0))).length, 0);
  assert.equal((await gpu.read(gpu.view(gpu.zeros(8), 8, 0))).length, 0);
  gpu.axpy(empty, empty, 1);
  gpu.copy(empty, empty);
  gpu.write(empty, new Float32Array(0));
  assert.equal((await gpu.read(gpu.softmax({ x: empty, rows: 3, cols: 0, log: true }))).length, 0);
  assert.equal(gpu.stats.dispatches, before);
});

gpuTest(
  "program order: a write does not overtake recorded work; recycled zeros are zero",
  async (gpu) => {
    const x = gpu.upload(new Float32Array([1, 2, 3]));
    const y = gpu.unary("neg", x); // recorded, not yet submitted
    gpu.write(x, new Float32Array([7, 8, 9]));
    const z = gpu.unary("neg", x);
    assert.deepEqual([...await gpu.read(y)], [-1, -2, -3]);
    assert.deepEqual([...await gpu.read(z)], [-7, -8, -9]);
    gpu.endStep();
    gpu.upload(new Float32Array(1000).fill(5));
    gpu.endStep();
    assert.ok((await gpu.read(gpu.zeros(1000))).every((v) => v === 0));
  },
);

gpuTest("an uncaptured GPU error surfaces as a typed error at the next flush", async () => {
  const fresh = await createWebGpuBackend();
  try {
    const device = fresh.gpu.device;
    // Mapping for both reading and writing is invalid; WebGPU reports it asynchronously.
    device.createBuffer({ size: 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
    await device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.throws(() => fresh.flush(), GpuValidationError);
  } finally {
    fresh.destroy();
  }
});

gpuTest(
  "architecture: one submit per step, and a repeated step creates no GPU objects",
  async () => {
    const fresh = await createWebGpuBackend();
    try {
      const snapshots = [{ ...fresh.stats }];
      const created = (s: GpuStats) => [s.buffersCreated, s.pipelinesCreated, s.bindGroupsCreated];
      const onGpu = await trainSteps(fresh, fresh.viewAlignment, () => {
        snapshots.push({ ...fresh.stats });
      });
      const onCpu = await trainSteps(cpu, fresh.viewAlignment, () => {});
      assertClose(onGpu, onCpu, ELEMENTWISE, "parameters and metrics after 5 steps");
      for (let step = 1; step <= 5; step++) {
        const [before, after] = [snapshots[step - 1], snapshots[step]];
        assert.equal(after.submits - before.submits, 1, `step ${step}: submits`);
        if (step === 1) continue;
        assert.deepEqual(
          created(after),
          created(before),
          `step ${step}: buffers, pipelines, bind groups`,
        );
      }
    } finally {
      fresh.destroy();
    }
  },
);

/**
 * Five training steps of a two-layer MLP with cross-entropy and SGD with momentum (whose
 * update, unlike Adam's, keeps differences in tiny gradients tiny), laid out as the
 * trainer does it (parameters and gradients as views of two flat buffers, with offsets
 * multiples of `align`; metrics summed on the device). Returns the final parameters
 * followed by the loss and hit sums.
 */
async function trainSteps(b: Backend, align: number, afterStep: () => void): Promise<Float32Array> {
  const rng = new Rng(13);
  const [batch, features, hidden, classes] = [33, 20, 24, 10];
  const pad = (n: number) => Math.ceil(n / align) * align;
  const sizes = [hidden * features, hidden, classes * hidden, classes];
  const offsets = sizes.map((_, i) => sizes.slice(0, i).reduce((sum, n) => sum + pad(n), 0));
  const total = offsets[3] + pad(classes);
  const params = b.upload(random(rng, total, -0.3, 0.3), true);
  const grads = b.zeros(total, true);
  const zero = b.zeros(total, true);
  const state = [b.zeros(total, true)];
  const [w1, b1, w2, b2] = sizes.map((n, i) => b.view(params, offsets[i], n));
  const [gw1, gb1, gw2, gb2] = sizes.map((n, i) => b.view(grads, offsets[i], n));
  const sums = b.zeros(2 * align, true);
  const [lossSum, hitSum] = [b.view(sums, 0, 1), b.view(sums, align, 1)];
  const x = random(rng, batch * features);
  const labels = Float32Array.from({ length: batch }, () => rng.int(classes));
  const rows = [batch], rowsByClasses = [batch, classes];
  for (let step = 1; step <= 5; step++) {
    b.copy(grads, zero);
    const input = b.upload(x);
    const target = b.upload(labels);
    const layer1 = { x: input, w: w1, m: batch, k: features, n: hidden, act: "relu" } as const;
    const h = b.linear({ ...layer1, b: b1 });
    const layer2 = { x: h, w: w2, m: batch, k: hidden, n: classes, act: "none" } as const;
    const logits = b.linear({ ...layer2, b: b2 });
    const logProbs = b.softmax({ x: logits, rows: batch, cols: classes, log: true });
    const nll = b.gather(logProbs, target, batch, classes);
    const total = (x: Storage) => b.reduce({ op: "sum", x, outer: 1, len: batch, inner: 1 });
    b.axpy(lossSum, total(nll), -1 / batch);
    const predicted = b.argmax(logits, batch, classes);
    b.axpy(
      hitSum,
      total(
        b.binary({ op: "eq", a: predicted, aShape: rows, b: target, bShape: rows, outShape: rows }),
      ),
      1,
    );
    const oneHot = b.scatter(b.affine(b.zeros(batch), 0, 1), target, batch, classes);
    const probs = b.softmax({ x: logits, rows: batch, cols: classes, log: false });
    const diff = b.binary({
      op: "sub",
      a: probs,
      aShape: rowsByClasses,
      b: oneHot,
      bShape: rowsByClasses,
      outShape: rowsByClasses,
    });
    const dLogits = b.affine(diff, 1 / batch, 0);
    const g2 = b.linearBackward({
      ...layer2,
      y: logits,
      gy: dLogits,
      hasBias: true,
      needInputGrad: true,
    });
    const g1 = b.linearBackward({
      ...layer1,
      y: h,
      gy: g2.gx!,
      hasBias: true,
      needInputGrad: false,
    });
    for (const [dst, src] of [[gw1, g1.gw], [gb1, g1.gb!], [gw2, g2.gw], [gb2, g2.gb!]]) {
      b.axpy(dst, src, 1);
    }
    const hyper = { ...HYPER, lr: 0.1, momentum: 0.9, step };
    b.optimizerStep({ kernel: optimizerRecord("sgd").kernel, params, grads, state, hyper });
    b.endStep();
    afterStep();
  }
  const metrics = await b.read(sums);
  return Float32Array.of(...await b.read(params), metrics[0], metrics[align]);
}
