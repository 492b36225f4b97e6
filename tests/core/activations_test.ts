/**
 * The activation registry and layers beyond their values (activations_golden_test.ts
 * holds those): names, arguments and their defaults, the one-line errors for bad
 * arguments and shapes, which layers fuse into a Linear, PReLU's parameter, softmax
 * over any dimension, and MLPs built with every activation.
 *
 * @module
 */

import { assert, assertClose, assertEquals, assertThrows } from "./asserts.ts";
import {
  activationCatalog,
  activationFromName,
  activationNames,
  backward,
  bindParameters,
  createCpuBackend,
  ElementwiseActivation,
  GELU,
  Hardtanh,
  LeakyReLU,
  logSoftmax,
  mlp,
  PReLU,
  prelu,
  ReLU,
  Rng,
  Sequential,
  ShapeError,
  Sigmoid,
  Softmax,
  softmax,
  sum,
  Tanh,
  tensor,
  UsageError,
} from "../../mod.ts";

const b = createCpuBackend();

Deno.test("registry: every name of the brief, kebab-case, in catalogue order", () => {
  assertEquals([...activationNames], [
    "relu",
    "leaky-relu",
    "elu",
    "selu",
    "celu",
    "silu",
    "mish",
    "hardswish",
    "hardsigmoid",
    "hardtanh",
    "log-sigmoid",
    "softsign",
    "softplus",
    "sin",
    "sign",
    "softshrink",
    "prelu",
    "gelu",
    "gelu-tanh",
    "relu6",
    "sigmoid",
    "tanh",
    "softmax",
    "log-softmax",
    "crelu",
    "srelu",
    "maxout",
  ]);
  assertEquals(activationCatalog.map((s) => s.name), [...activationNames]);
});

Deno.test("registry: arguments in PyTorch's names with PyTorch's defaults", () => {
  const args = Object.fromEntries(
    activationCatalog.filter((s) => s.args.length).map((s) => [
      s.name,
      Object.fromEntries(s.args.map((a) => [a.name, a.default])),
    ]),
  );
  assertEquals(args, {
    "leaky-relu": { negative_slope: 0.01 },
    prelu: { num_parameters: 1, init: 0.25 },
    elu: { alpha: 1 },
    celu: { alpha: 1 },
    gelu: { approximate: "none" },
    hardtanh: { min_val: -1, max_val: 1 },
    softplus: { beta: 1, threshold: 20 },
    softshrink: { lambd: 0.5 },
    softmax: { dim: -1 },
    "log-softmax": { dim: -1 },
    srelu: { num_parameters: 1, t_left: 0, a_left: 0.2, t_right: 1, a_right: 1 },
    maxout: { pieces: 2 },
  });
  for (const spec of activationCatalog) {
    for (const a of spec.args) assert(a.doc.length > 0, `${spec.name}.${a.name} has no doc`);
  }
});

Deno.test("registry: arguments reach the layer; omitted ones take their defaults", () => {
  // A record's layer holds its catalogue arguments as the kernel's alpha and beta.
  const scalars = (name: string, args = {}) => {
    const layer = activationFromName(name, args) as ElementwiseActivation;
    return [layer.kernel.op, layer.alpha, layer.beta];
  };
  assertEquals(scalars("leaky-relu"), ["leaky_relu", 0.01, 0]);
  assertEquals(scalars("leaky-relu", { negative_slope: 0.2 }), ["leaky_relu", 0.2, 0]);
  assertEquals(scalars("hardtanh", { max_val: 3 }), ["hardtanh", -1, 3]);
  assertEquals(scalars("softplus", { threshold: 5 }), ["softplus", 1, 5]);
  assertEquals((activationFromName("gelu-tanh") as GELU).approximate, "tanh");
  assertEquals((activationFromName("softmax", { dim: 0 }) as Softmax).dim, 0);
  const p = activationFromName("prelu", { num_parameters: 3, init: 0.1 }) as PReLU;
  assertEquals(p.weight.shape, [3]);
  assertEquals([...p.weight.init], [0.1, 0.1, 0.1].map(Math.fround));
});

Deno.test("registry: unknown names and arguments, and mistyped values, are UsageErrors", () => {
  assertThrows(
    () => activationFromName("swish"),
    UsageError,
    'activation: expected one of relu, leaky-relu, elu, selu, celu, silu, mish, hardswish, hardsigmoid, hardtanh, log-sigmoid, softsign, softplus, sin, sign, softshrink, prelu, gelu, gelu-tanh, relu6, sigmoid, tanh, softmax, log-softmax, crelu, srelu, maxout, got "swish"',
  );
  assertThrows(
    () => activationFromName("leaky-relu", { slope: 0.2 }),
    UsageError,
    'leaky-relu: unknown argument "slope" (expected negative_slope)',
  );
  assertThrows(
    () => activationFromName("relu", { inplace: true }),
    UsageError,
    'relu: unknown argument "inplace" (it takes none)',
  );
  assertThrows(
    () => activationFromName("elu", { alpha: "2" }),
    UsageError,
    'elu: alpha must be a number, got "2"',
  );
  assertThrows(
    () => activationFromName("gelu", { approximate: 1 }),
    UsageError,
    "gelu: approximate must be a string, got 1",
  );
});

Deno.test("layers: bad argument values are one-line UsageErrors naming the argument", () => {
  const cases: [() => unknown, string][] = [
    [
      () => new LeakyReLU({ negativeSlope: NaN }),
      "LeakyReLU: negative_slope must be a finite number, got NaN",
    ],
    [() => activationFromName("celu", { alpha: 0 }), "CELU: alpha must be nonzero, got 0"],
    [
      () => activationFromName("elu", { alpha: Infinity }),
      "ELU: alpha must be a finite number, got Infinity",
    ],
    [
      () => activationFromName("gelu", { approximate: "fast" }),
      'GELU: approximate must be "none" or "tanh", got "fast"',
    ],
    [
      () => new Hardtanh({ minVal: 1, maxVal: 1 }),
      "Hardtanh: min_val must be below max_val, got 1 and 1",
    ],
    [
      () => activationFromName("hardtanh", { min_val: 2 }),
      "Hardtanh: min_val must be below max_val, got 2 and 1",
    ],
    [() => activationFromName("softplus", { beta: 0 }), "Softplus: beta must be nonzero, got 0"],
    [
      () => activationFromName("softshrink", { lambd: -1 }),
      "Softshrink: lambd must be ≥ 0, got -1",
    ],
    [
      () => activationFromName("softplus", { threshold: NaN }),
      "Softplus: threshold must be a number, got NaN",
    ],
    [
      () => activationFromName("prelu", { num_parameters: 0 }),
      "PReLU: num_parameters must be a positive integer, got 0",
    ],
    [
      () => activationFromName("prelu", { num_parameters: 2.5 }),
      "PReLU: num_parameters must be a positive integer, got 2.5",
    ],
    [
      () => activationFromName("prelu", { init: NaN }),
      "PReLU: init must be a finite number, got NaN",
    ],
    [() => activationFromName("softmax", { dim: 0.5 }), "Softmax: dim must be an integer, got 0.5"],
    [
      () => activationFromName("log-softmax", { dim: 1.5 }),
      "LogSoftmax: dim must be an integer, got 1.5",
    ],
  ];
  for (const [fn, message] of cases) {
    const e = assertThrows(fn, UsageError);
    assertEquals(e.message, message);
    assert(!e.message.includes("\n"), "one line");
  }
});

Deno.test("PReLU: weight [num_parameters] named `weight`; input channels must match", async () => {
  const p = new PReLU({ numParameters: 3 });
  assertEquals(p.namedParameters().map(([n, q]) => [n, q.shape]), [["weight", [3]]]);
  bindParameters(b, p.namedParameters());
  assertThrows(
    () => p.forward(tensor(b, new Float32Array(8), [2, 4])),
    ShapeError,
    "prelu: weight must be [1] or [4] (the channels of input [2,4]), got [3]",
  );
  // A 1-D input has one channel, like PyTorch's.
  assertThrows(() => p.forward(tensor(b, [1, 2, 3], [3])), ShapeError, "got [3]");
  const w = tensor(b, [0.5], [1]);
  assertEquals([...await prelu(tensor(b, [-2], []), w).toArray()], [-1]);
  const model = mlp([2, 3, 2], "prelu", new Rng(0));
  assertEquals(model.namedParameters().map(([n]) => n), [
    "0.weight",
    "0.bias",
    "1.weight",
    "2.weight",
    "2.bias",
  ]);
});

Deno.test("PReLU: the weight gradient at x = 0 is 0 and the input gradient is the slope", async () => {
  const p = new PReLU({ init: 0.3 });
  bindParameters(b, p.namedParameters());
  const x = tensor(b, [0, -2, 2], [3], true);
  backward(sum(p.forward(x)));
  assertClose(await x.grad!.toArray(), [0.3, 0.3, 1], 1e-7, 0);
  assertClose(await p.weight.grad(), [-2], 1e-7, 0);
});

Deno.test("Sequential: only ReLU, Tanh and Sigmoid fuse into a Linear", () => {
  for (const name of activationNames) {
    const expected = { relu: "relu", tanh: "tanh", sigmoid: "sigmoid" }[name] ?? null;
    assertEquals(activationFromName(name).fused, expected, name);
  }
  assertEquals([new ReLU().fused, new Tanh().fused, new Sigmoid().fused], [
    "relu",
    "tanh",
    "sigmoid",
  ]);
});

Deno.test("mlp: every registry activation builds, runs forward and backward", async () => {
  const x = tensor(b, Float32Array.from({ length: 8 }, (_, i) => i / 4 - 1), [2, 4]);
  for (const name of activationNames) {
    const model = mlp([4, 5, 3], name, new Rng(1));
    bindParameters(b, model.namedParameters());
    const y = model.forward(x);
    assertEquals(y.shape, [2, 3], name);
    backward(sum(y));
    const g = await model.parameters()[0].grad();
    assert(g.every(Number.isFinite), `${name}: gradient not finite`);
  }
  const leaky = mlp([4, 5, 3], "leaky-relu", new Rng(1), { negative_slope: 0.3 });
  assertEquals((leaky.layers[1] as ElementwiseActivation).alpha, 0.3);
  assertThrows(
    () => mlp([4, 5, 3], "swish", new Rng(1)),
    UsageError,
    "activation: expected one of relu, leaky-relu",
  );
  assert(new Sequential(activationFromName("sin")).forward(x).shape.length === 2);
});

Deno.test("softmax: any dim, counted from either end, like torch; bad dims are ShapeErrors", async () => {
  // [2, 3]: columns (dim 0) and rows (dim 1 = -1).
  const x = tensor(b, [0, 1, 2, 3, 5, 7], [2, 3]);
  const col = (a: number, c: number) => [1 / (1 + Math.exp(c - a)), 1 / (1 + Math.exp(a - c))];
  const [c0, c1, c2] = [col(0, 3), col(1, 5), col(2, 7)];
  assertClose(
    await softmax(x, 0).toArray(),
    [c0[0], c1[0], c2[0], c0[1], c1[1], c2[1]],
    1e-7,
    1e-6,
  );
  assertClose(await softmax(x, -2).toArray(), await softmax(x, 0).toArray(), 0, 0);
  assertClose(await softmax(x, 1).toArray(), await softmax(x).toArray(), 0, 0);
  const logs = await logSoftmax(x, 0).toArray();
  assertClose(logs, [...await softmax(x, 0).toArray()].map(Math.log), 1e-6, 1e-6);
  assertEquals([...await softmax(tensor(b, [3], []), 0).toArray()], [1]);
  assertThrows(
    () => softmax(x, 2),
    ShapeError,
    "softmax: dim 2 out of range for shape [2,3] (expected an integer in [-2, 1])",
  );
  assertThrows(() => logSoftmax(x, -3), ShapeError, "logSoftmax: dim -3 out of range");
  assertThrows(() => softmax(tensor(b, [1], []), 1), ShapeError, "expected an integer in [-1, 0]");
});
