/**
 * Convolution and pooling against PyTorch: every case of tests/fixtures/conv_golden.json
 * (written by tests/fixtures/make_golden_conv.py) runs forward, then `backward(out, g)`
 * with the case's upstream gradient, on every backend of backends.ts; outputs and input
 * gradients must match torch's float64 values within the backend's golden tolerance
 * (`products` for conv2d and bmm, whose sums run over up to 198 terms, `elementwise` for
 * the rest). Worst measured, as a fraction of the tolerance: 0.045 on the CPU, 0.03 on
 * llvmpipe. torchvision's BasicBlock (the fixture's own copy) is checked the same way
 * with torch's weights: output, input and parameter gradients, running statistics.
 * Also here: the layers (Conv2d, the pools, Flatten) and their errors, a CIFAR-sized batch
 * through conv → pool on the GPU backend against the CPU, and batched products long
 * enough in k for the GPU to split them.
 *
 * @module
 */

import { assert, assertClose, assertEquals, assertThrows } from "./asserts.ts";
import {
  AdaptiveAvgPool2d,
  adaptiveAvgPool2d,
  AvgPool2d,
  avgPool2d,
  type Backend,
  backward,
  BasicBlock,
  bindParameters,
  bmm,
  col2im,
  Conv2d,
  conv2d,
  createCpuBackend,
  Flatten,
  flatten,
  im2col,
  MaxPool2d,
  maxPool2d,
  permute,
  relu,
  Rng,
  ShapeError,
  type Size2d,
  Tensor,
  tensor,
  UsageError,
  type Window2d,
} from "../../mod.ts";
import { convOpTable } from "../../core/ops_conv.ts";
import { backendsUnderTest, describeBackends, type Tolerance } from "./backends.ts";
import { backendTest, casesTest, readFixture, runnableBackends } from "./golden.ts";

interface GoldenTensor {
  shape: number[];
  data: number[];
}
type Attrs = Record<string, unknown>;
interface ConvCase {
  name: string;
  op: string;
  attrs: Attrs;
  inputs: (GoldenTensor & { requires_grad: boolean })[];
  grad_output: GoldenTensor;
  output: GoldenTensor;
  grads: (number[] | null)[];
}

interface BlockCase {
  name: string;
  in_channels: number;
  out_channels: number;
  stride: number;
  params: Record<string, number[]>;
  input: GoldenTensor;
  grad_output: GoldenTensor;
  output: GoldenTensor;
  grad_input: number[];
  grads: Record<string, number[]>;
  buffers: Record<string, number[]>;
}

const fixture = await readFixture<{
  torch: string;
  cases: ConvCase[];
  basic_blocks: BlockCase[];
}>("conv_golden.json");

const size2 = (a: Attrs, key: string) => a[key] as [number, number];

/** The window that PyTorch's unfold/fold arguments in `a` give over `a.image`. */
function windowOf(a: Attrs): Window2d {
  const [n, c, h, w] = a.image as number[];
  const [kh, kw] = size2(a, "kernel_size");
  const [strideH, strideW] = size2(a, "stride");
  const [padH, padW] = size2(a, "padding");
  const [dilationH, dilationW] = size2(a, "dilation");
  const out = (size: number, k: number, s: number, p: number, d: number) =>
    Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
  return {
    n,
    c,
    h,
    w,
    kh,
    kw,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    outH: out(h, kh, strideH, padH, dilationH),
    outW: out(w, kw, strideW, padW, dilationW),
  };
}

/** gradmesh's counterpart of each fixture op, inputs in the fixture's order. */
const convOps: Record<string, (inputs: Tensor[], a: Attrs) => Tensor> = {
  conv2d: ([x, w, b], a) =>
    conv2d(x, w, b ?? null, {
      stride: size2(a, "stride"),
      padding: size2(a, "padding"),
      dilation: size2(a, "dilation"),
      groups: a.groups as number,
    }),
  max_pool2d: ([x], a) =>
    maxPool2d(x, size2(a, "kernel_size"), {
      stride: size2(a, "stride"),
      padding: size2(a, "padding"),
      dilation: size2(a, "dilation"),
    }),
  avg_pool2d: ([x], a) =>
    avgPool2d(x, size2(a, "kernel_size"), {
      stride: size2(a, "stride"),
      padding: size2(a, "padding"),
      countIncludePad: a.count_include_pad as boolean,
      divisorOverride: a.divisor_override as number | null,
    }),
  adaptive_avg_pool2d: ([x], a) =>
    adaptiveAvgPool2d(x, a.output_size as [number | null, number | null]),
  flatten: ([x], a) => flatten(x, a.start_dim as number, a.end_dim as number),
  bmm: ([x, y], a) => bmm(x, y, a.transA as boolean, a.transB as boolean),
  permute: ([x], a) => permute(x, a.dims as number[]),
  im2col: ([x], a) => im2col(x, windowOf(a)),
  col2im: ([x], a) => col2im(x, windowOf(a)),
};

/** Which fixture ops exercise each entry of convOpTable. */
const tableCoverage: Record<keyof typeof convOpTable, string> = {
  bmm: "bmm",
  permute: "permute",
  im2col: "im2col",
  col2im: "col2im",
  maxPool2d: "max_pool2d",
  avgPool2d: "avg_pool2d",
  adaptiveAvgPool2d: "adaptive_avg_pool2d",
};

const PRODUCT_OPS = new Set(["conv2d", "bmm"]);

/** Runs one case; returns its failures (empty when it passes). */
async function runCase(backend: Backend, c: ConvCase, tol: Tolerance): Promise<string[]> {
  const inputs = c.inputs.map((i) => tensor(backend, i.data, i.shape, i.requires_grad));
  const out = convOps[c.op](inputs, c.attrs);
  const failures: string[] = [];
  const check = async (label: string, got: Tensor | null, ref: GoldenTensor) => {
    if (!got || got.shape.join() !== ref.shape.join()) {
      failures.push(`${c.name}: ${label} shape [${got?.shape ?? "none"}], torch [${ref.shape}]`);
      return;
    }
    try {
      assertClose(await got.toArray(), ref.data, tol.atol, tol.rtol, `${c.name}: ${label}`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  };
  // Each read is issued before the next op is recorded and all are awaited together:
  // read-backs from a GPU then wait out one map latency, not one each.
  const checks = [check("output", out, c.output)];
  backward(out, tensor(backend, c.grad_output.data, c.grad_output.shape));
  for (let k = 0; k < c.inputs.length; k++) {
    const ref = c.grads[k];
    if (ref) {
      checks.push(check(`grad[${k}]`, inputs[k].grad, { shape: c.inputs[k].shape, data: ref }));
    } else if (inputs[k].grad) failures.push(`${c.name}: grad[${k}] should be absent`);
  }
  await Promise.all(checks);
  backend.endStep();
  return failures;
}

const backends = await backendsUnderTest();
describeBackends("conv_golden_test.ts", backends);
const ops = [...new Set(fixture.cases.map((c) => c.op))];
const runnable = runnableBackends("conv golden", backends);

for (const bt of runnable) {
  for (const op of ops) {
    const tol = PRODUCT_OPS.has(op) ? bt.golden.products : bt.golden.elementwise;
    casesTest(
      bt,
      `conv golden ${bt.name}: ${op} matches torch ${fixture.torch}`,
      fixture.cases.filter((c) => c.op === op),
      tol,
      (backend, c) => runCase(backend, c, tol),
    );
  }
}

/** Runs one BasicBlock case: torch's weights, forward in training mode, backward. */
async function runBlock(backend: Backend, c: BlockCase, tol: Tolerance): Promise<string[]> {
  const block = new BasicBlock(c.in_channels, c.out_channels, new Rng(0), { stride: c.stride });
  const named = block.namedParameters();
  assertEquals(named.map(([n]) => n), Object.keys(c.params), "parameter names");
  for (const [name, p] of named) p.init.set(c.params[name]);
  bindParameters(backend, named);
  const x = tensor(backend, c.input.data, c.input.shape, true);
  const out = block.forward(x);
  backward(out, tensor(backend, c.grad_output.data, c.grad_output.shape));
  const failures: string[] = [];
  const check = (label: string, got: Float32Array, want: number[]) => {
    try {
      assertClose(got, want, tol.atol, tol.rtol, `${c.name}: ${label}`);
    } catch (e) {
      failures.push((e as Error).message);
    }
  };
  assertEquals(out.shape, c.output.shape, "output shape");
  // All read-backs in flight at once: from a GPU they wait out one map latency, not one each.
  const buffers = block.namedBuffers().filter(([name]) => c.buffers[name]);
  const [output, gradInput, ...rest] = await Promise.all([
    out.toArray(),
    x.grad!.toArray(),
    ...named.map(([, p]) => p.grad()),
    ...buffers.map(([, b]) => b.read()),
  ]);
  check("output", output, c.output.data);
  check("grad_input", gradInput, c.grad_input);
  for (const [i, [name]] of named.entries()) check(`${name}.grad`, rest[i], c.grads[name]);
  for (const [i, [name]] of buffers.entries()) {
    check(name, rest[named.length + i], c.buffers[name]);
  }
  backend.endStep();
  return failures;
}

for (const bt of runnable) {
  casesTest(
    bt,
    `BasicBlock ${bt.name}: outputs, gradients and running statistics match torch`,
    fixture.basic_blocks,
    bt.golden.products,
    (backend, c) => runBlock(backend, c, bt.golden.products),
  );
}

Deno.test("BasicBlock: the identity shortcut without projection, and bad strides", () => {
  assertEquals(new BasicBlock(8, 8, rng()).downsample, null);
  assert(new BasicBlock(8, 8, rng(), { stride: 2 }).downsample !== null, "stride 2 projects");
  assertThrows(() => new BasicBlock(8, 8, rng(), { stride: 0 }), UsageError, "BasicBlock");
});

Deno.test("conv golden: every fixture op has a mapping and every convOpTable entry a case", () => {
  assertEquals(ops.filter((op) => !convOps[op]), []);
  const uncovered = Object.entries(tableCoverage).filter(([, op]) => !ops.includes(op));
  assertEquals(uncovered, []);
  assertEquals(Object.keys(tableCoverage).sort(), Object.keys(convOpTable).sort());
});

Deno.test("conv golden: the comparison fails on an output or gradient one tolerance off", async () => {
  const cpu = backends[0];
  const backend = await cpu.create!();
  const tol = cpu.golden.products;
  const c = fixture.cases.find((c) => c.op === "conv2d" && c.attrs.groups === 2)!;
  assertEquals(await runCase(backend, c, tol), []);
  for (const key of ["output", "weight"] as const) {
    const wrong = structuredClone(c);
    const values = key === "output" ? wrong.output.data : wrong.grads[1]!;
    values[3] += 2 * (tol.atol + tol.rtol * Math.abs(values[3]));
    const failures = await runCase(backend, wrong, tol);
    assertEquals(failures.length, 1, `${key}: ${failures}`);
    assert(failures[0].includes(key === "output" ? "output[3]" : "grad[1][3]"), failures[0]);
  }
});

// ---- layers ----

const cpu = createCpuBackend();
const rng = () => new Rng(7);

Deno.test("Conv2d: PyTorch's parameter names, shapes and init bounds; forward is conv2d", async () => {
  const layer = new Conv2d(4, 6, [3, 2], rng(), { stride: 2, padding: 1, groups: 2 });
  assertEquals(
    layer.namedParameters().map(([n, p]) => [n, p.shape]),
    [["weight", [6, 2, 3, 2]], ["bias", [6]]],
  );
  // kaiming_uniform(a=√5) over fan_in = 2·3·2 is U(±1/√12); the bias is U(±1/√12) too.
  const bound = 1 / Math.sqrt(12);
  for (const p of layer.parameters()) {
    const extreme = Math.max(...p.init.map(Math.abs));
    assert(extreme <= bound && extreme > 0.6 * bound, `${extreme} vs bound ${bound}`);
  }
  assertEquals(new Conv2d(2, 3, 3, rng(), { bias: false }).bias, null);
  bindParameters(cpu, layer.namedParameters());
  const x = tensor(cpu, Float32Array.from({ length: 2 * 4 * 5 * 5 }, (_, i) => Math.sin(i)), [
    2,
    4,
    5,
    5,
  ]);
  const y = layer.forward(x);
  assertEquals(y.shape, [2, 6, 3, 3]);
  const direct = conv2d(x, layer.weight.value, layer.bias!.value, {
    stride: 2,
    padding: 1,
    groups: 2,
  });
  assertEquals(await y.toArray(), await direct.toArray());
});

Deno.test("pooling layers and Flatten: forward is the functional op with the layer's options", async () => {
  const x = tensor(cpu, Float32Array.from({ length: 2 * 3 * 7 * 6 }, (_, i) => Math.cos(i)), [
    2,
    3,
    7,
    6,
  ]);
  const same = async (a: Tensor, b: Tensor) => {
    assertEquals(a.shape, b.shape);
    assertEquals(await a.toArray(), await b.toArray());
  };
  await same(
    new MaxPool2d(3, { stride: 2, padding: 1 }).forward(x),
    maxPool2d(x, 3, { stride: 2, padding: 1 }),
  );
  await same(
    new AvgPool2d([2, 3], { countIncludePad: false, padding: 1 }).forward(x),
    avgPool2d(x, [2, 3], { countIncludePad: false, padding: 1 }),
  );
  await same(new AdaptiveAvgPool2d([3, null]).forward(x), adaptiveAvgPool2d(x, [3, null]));
  assertEquals(new Flatten().forward(x).shape, [2, 126]);
  assertEquals(new Flatten(0, 1).forward(x).shape, [6, 7, 6]);
  assertEquals(maxPool2d(x, 2).shape, [2, 3, 3, 3]);
});

Deno.test("conv and pooling: bad arguments name the op and what was expected", () => {
  const x = tensor(cpu, new Float32Array(2 * 4 * 5 * 5), [2, 4, 5, 5]);
  const w = (shape: number[]) =>
    tensor(cpu, new Float32Array(shape.reduce((a, b) => a * b)), shape);
  assertThrows(
    () => conv2d(tensor(cpu, [1, 2], [2]), w([1, 1, 1, 1])),
    ShapeError,
    "conv2d",
    "4-D",
  );
  assertThrows(() => conv2d(x, w([6, 3, 3, 3])), ShapeError, "conv2d", "[O, 4, kh, kw]");
  assertThrows(() => conv2d(x, w([6, 2, 3, 3]), null, { groups: 3 }), ShapeError, "groups=3");
  assertThrows(() => conv2d(x, w([5, 2, 3, 3]), null, { groups: 2 }), ShapeError, "divisible by 2");
  assertThrows(() => conv2d(x, w([2, 4, 3, 3]), w([3])), ShapeError, "bias [2]");
  assertThrows(() => conv2d(x, w([2, 4, 7, 3])), ShapeError, "larger than the padded input 5x5");
  assertThrows(() => conv2d(x, w([2, 4, 3, 3]), null, { stride: 0 }), UsageError, "stride");
  assertThrows(
    () => conv2d(x, w([2, 4, 3, 3]), null, { padding: [1, -1] as Size2d }),
    UsageError,
    "padding",
  );
  assertThrows(() => conv2d(x, w([2, 4, 3, 3]), null, { groups: 0 }), UsageError, "groups");
  assertThrows(() => maxPool2d(x, 3, { padding: 2 }), UsageError, "maxPool2d", "half the kernel");
  assertThrows(() => avgPool2d(x, 6), ShapeError, "avgPool2d", "larger than the padded input");
  assertThrows(() => avgPool2d(x, 2, { divisorOverride: 0 }), UsageError, "divisor_override");
  assertThrows(() => adaptiveAvgPool2d(x, 0), UsageError, "output_size");
  assertThrows(() => flatten(x, 2, 1), ShapeError, "flatten");
  assertThrows(() => permute(x, [0, 1, 1, 2]), ShapeError, "permutation");
  assertThrows(() => bmm(x, x), ShapeError, "bmm");
  assertThrows(
    () => new Conv2d(3, 4, 3, rng(), { groups: 2 }),
    UsageError,
    "Conv2d",
    "in_channels",
  );
  assertThrows(
    () => new Conv2d(4, 3, 3, rng(), { groups: 2 }),
    UsageError,
    "Conv2d",
    "out_channels",
  );
  assertThrows(() => new Conv2d(4, 4, 0, rng()), UsageError, "Conv2d", "kernel_size");
});

// ---- the GPU on a CIFAR-sized batch ----

const gpuBackend = backends.find((b) => b.name === "webgpu")!;

backendTest(
  gpuBackend,
  "webgpu: a 64×3×32×32 batch through conv → relu → max pool matches the CPU, and a " +
    "repeated step creates no GPU objects",
  async (gpu) => {
    const random = new Rng(3);
    const data = (n: number, scale: number) =>
      Float32Array.from({ length: n }, () => scale * random.normal());
    const xs = data(64 * 3 * 32 * 32, 1), ws = data(16 * 3 * 3 * 3, 0.2), bs = data(16, 0.1);
    const gs = data(64 * 16 * 16 * 16, 1);
    const step = (b: Backend) => {
      const x = tensor(b, xs, [64, 3, 32, 32], true);
      const w = tensor(b, ws, [16, 3, 3, 3], true);
      const bias = tensor(b, bs, [16], true);
      const y = maxPool2d(relu(conv2d(x, w, bias, { padding: 1 })), 2);
      backward(y, tensor(b, gs, y.shape));
      return [y, x.grad!, w.grad!, bias.grad!];
    };
    const read = (ts: Tensor[]) => Promise.all(ts.map((t) => t.toArray()));
    const want = await read(step(cpu));
    const got = await read(step(gpu));
    // Weight and bias gradients sum 64·32·32 products in float32 on the GPU.
    ["output", "x.grad", "weight.grad", "bias.grad"].forEach((label, i) => {
      const scale = want[i].reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assertClose(got[i], want[i], 1e-5 * scale, 1e-4, label);
    });
    gpu.endStep();
    const stats = (gpu as Backend & { stats: Record<string, number> }).stats;
    const created = () => [stats.buffersCreated, stats.pipelinesCreated, stats.bindGroupsCreated];
    const before = created();
    step(gpu);
    gpu.endStep();
    assertEquals(created(), before, "buffers, pipelines and bind groups created by a repeat");
  },
);

backendTest(
  gpuBackend,
  "webgpu: batched products with a k long enough to be split into chunks match the CPU",
  async (gpu) => {
    const random = new Rng(5);
    for (const [batch, m, k, n] of [[3, 5, 5000, 70], [1, 66, 4097, 3], [2, 7, 2049, 9]]) {
      const a = Float32Array.from({ length: batch * m * k }, () => random.uniformIn(-1, 1));
      const b = Float32Array.from({ length: batch * k * n }, () => random.uniformIn(-1, 1));
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const run = (be: Backend) =>
            be.read(
              be.matmul({ a: be.upload(a), b: be.upload(b), m, k, n, transA, transB, batch }),
            );
          // A k-term float32 sum errs like √k·u per unit term; the CPU sums in float64.
          const label = `${batch}×${m}×${k}×${n} transA=${transA} transB=${transB}`;
          assertClose(await run(gpu), await run(cpu), 2e-6 * Math.sqrt(k), 1e-4, label);
        }
      }
    }
  },
);
