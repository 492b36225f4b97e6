/**
 * CReLU, SReLU and Maxout beyond their values (layers_golden_test.ts holds those): the
 * widths they give MLPs and layer stacks, SReLU's per-channel parameters and their
 * initialisation, the `maxout(units, pieces)` stack layer, and one-line errors.
 *
 * @module
 */

import {
  activationForShape,
  activationFromName,
  backward,
  bindParameters,
  createCpuBackend,
  CReLU,
  crelu,
  Maxout,
  maxout,
  mlp,
  Rng,
  ShapeError,
  SReLU,
  sum,
  tensor,
  UsageError,
  widthBefore,
} from "../../../mod.ts";
import { buildLayerStack } from "../../../core/nn/layer_stack.ts";
import { buildModel } from "../../../core/nn/models.ts";
import { assert, assertEquals, assertThrows } from "../asserts.ts";

const b = createCpuBackend();
const shapes = (names: [string, { shape: readonly number[] }][]) =>
  names.map(([n, p]) => `${n}:${p.shape}`);

Deno.test("crelu: relu(x) channels first, then relu(-x), for rows, images and vectors", async () => {
  const rows = crelu(tensor(b, [1, -2, 3, -4], [2, 2]));
  assertEquals(rows.shape, [2, 4]);
  assertEquals([...await rows.toArray()], [1, 0, 0, 2, 3, 0, 0, 4]);
  const image = crelu(tensor(b, [1, -1, 2, -2], [1, 2, 1, 2]));
  assertEquals(image.shape, [1, 4, 1, 2]);
  assertEquals([...await image.toArray()], [1, 0, 2, 0, 0, 1, 0, 2]);
  assertEquals([...await crelu(tensor(b, [-1, 5], [2])).toArray()], [0, 5, 1, 0]);
  assertThrows(() => crelu(tensor(b, [1], [])), ShapeError, "rank ≥ 1");
});

Deno.test("maxout: the maximum of each group of consecutive channels", async () => {
  const y = maxout(tensor(b, [1, 5, 2, -1, -3, -2], [1, 6]), 3);
  assertEquals(y.shape, [1, 2]);
  assertEquals([...await y.toArray()], [5, -1]);
  assertThrows(
    () => maxout(tensor(b, [1, 2, 3], [1, 3]), 2),
    ShapeError,
    "maxout: expected [N, C, …] with C a multiple of pieces (2), got [1,3]",
  );
});

Deno.test("mlp: a hidden size counts units after the activation", () => {
  const names = (act: string, args = {}) =>
    shapes(mlp([6, 4, 3], act, new Rng(0), args).namedParameters());
  assertEquals(names("crelu"), ["0.weight:4,6", "0.bias:4", "2.weight:3,8", "2.bias:3"]);
  assertEquals(names("maxout", { pieces: 3 }), [
    "0.weight:12,6",
    "0.bias:12",
    "2.weight:3,4",
    "2.bias:3",
  ]);
  assertEquals(names("srelu"), [
    "0.weight:4,6",
    "0.bias:4",
    "1.t_left:4",
    "1.a_left:4",
    "1.t_right:4",
    "1.a_right:4",
    "2.weight:3,4",
    "2.bias:3",
  ]);
  assertEquals(names("srelu", { num_parameters: 1 })[2], "1.t_left:1");
  assertEquals(widthBefore("maxout", {}, 10), 20);
  assertEquals(widthBefore("crelu", {}, 10), 10);
});

Deno.test("train's MLP (--model 6-4-3) builds the same shapes as mlp()", () => {
  for (const [activation, activationArgs] of [["crelu", ""], ["maxout", '{"pieces": 3}']]) {
    const spec = { model: "6-4-3", activation, activationArgs, init: "default", initArgs: "" };
    const { model } = buildModel({ ...spec, dropout: 0 }, new Rng(0));
    const args = activationArgs ? JSON.parse(activationArgs) : {};
    assertEquals(
      shapes(model.namedParameters()),
      shapes(mlp([6, 4, 3], activation, new Rng(0), args).namedParameters()),
    );
  }
});

Deno.test("layer stacks: crelu, srelu, maxout(units, pieces) on rows and images", async () => {
  const { model, shape } = buildLayerStack(
    "conv(4,3),crelu,srelu,maxout(6,2,kernel=3,padding=1),act,flatten,maxout(5,3),linear(2)",
    [1, 6, 6],
    "maxout",
    { pieces: 3 },
    new Rng(0),
  );
  assertEquals(shape, [2]);
  assertEquals(shapes(model.namedParameters()), [
    "0.weight:4,1,3,3",
    "0.bias:4",
    "2.t_left:8",
    "2.a_left:8",
    "2.t_right:8",
    "2.a_right:8",
    "3.0.weight:12,8,3,3",
    "3.0.bias:12",
    "6.0.weight:15,32",
    "6.0.bias:15",
    "7.weight:2,5",
    "7.bias:2",
  ]);
  bindParameters(b, model.namedParameters());
  const x = tensor(b, Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)), [2, 1, 6, 6]);
  const y = model.forward(x);
  assertEquals(y.shape, [2, 2]);
  backward(sum(y));
  for (const [name, p] of model.namedParameters()) {
    assert((await p.grad()).every(Number.isFinite), `${name}: gradient not finite`);
  }
});

Deno.test("layer stacks: a maxout that cannot be built is one line naming --model", () => {
  const cases: [string, readonly number[], string][] = [
    ["flatten,linear(5),maxout", [4], 'maxout needs "units"'],
    ["linear(5),act", [4], "maxout with 2 pieces needs a multiple of 2 channels, got 5"],
    ["maxout(2,0)", [4], "maxout: pieces must be an integer ≥ 1, got 0"],
    ["maxout(2,2)", [4, 3], "maxout needs flat or [C, H, W] samples, got [4,3]"],
  ];
  for (const [spec, sample, message] of cases) {
    const e = assertThrows(
      () => buildLayerStack(spec, sample, "maxout", {}, new Rng(0)),
      UsageError,
    );
    assertEquals(e.message, `model: ${message}`);
  }
});

Deno.test("srelu: starts as LeakyReLU(0.2); parameters per channel; bad values are one line", async () => {
  const act = activationForShape("srelu", {}, [3]).module as SReLU;
  assertEquals(act.tLeft.shape, [3]);
  assertEquals(
    [act.tLeft, act.aLeft, act.tRight, act.aRight].map((p) => p.init[0]),
    [0, Math.fround(0.2), 1, 1],
  );
  bindParameters(b, act.namedParameters());
  const y = act.forward(tensor(b, [-2, 0.5, 3, -Infinity, Infinity, 0], [2, 3]));
  assertEquals([...await y.toArray()], [-0.4, 0.5, 3, -Infinity, Infinity, 0].map(Math.fround));
  const errors: [() => unknown, string][] = [
    [
      () => activationFromName("srelu", { t_left: 2 }),
      "SReLU: t_left must be ≤ t_right, got 2 and 1",
    ],
    [
      () => activationFromName("srelu", { a_right: NaN }),
      "SReLU: a_right must be a finite number, got NaN",
    ],
    [
      () => activationFromName("srelu", { num_parameters: 0 }),
      "SReLU: num_parameters must be a positive integer, got 0",
    ],
    [
      () => activationFromName("maxout", { pieces: 1.5 }),
      "Maxout: pieces must be a positive integer, got 1.5",
    ],
  ];
  for (const [fn, message] of errors) assertEquals(assertThrows(fn, UsageError).message, message);
  const wide = new SReLU({ numParameters: 4 });
  bindParameters(b, wide.namedParameters());
  assertThrows(
    () => wide.forward(tensor(b, [1, 2, 3], [1, 3])),
    ShapeError,
    "each parameter must be [1] or [3]",
  );
  assert(activationFromName("crelu") instanceof CReLU);
  assert(activationFromName("maxout") instanceof Maxout);
});
