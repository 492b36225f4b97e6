/**
 * Layers and parameters: Linear's PyTorch initialisation, Sequential's names and its
 * Linear+activation fusion, the flat parameter/gradient layout, gradient accumulation
 * across backward calls, and noGrad.
 *
 * @module
 */

import { assert, assertClose, assertEquals, assertThrows } from "./asserts.ts";
import {
  add,
  type Backend,
  backward,
  bindParameters,
  createCpuBackend,
  GradmeshError,
  isGradEnabled,
  kaimingUniform,
  Linear,
  linear,
  matmul,
  mul,
  noGrad,
  Parameter,
  ReLU,
  relu,
  Rng,
  Sequential,
  Sigmoid,
  sigmoid,
  sum,
  Tanh,
  tanh,
  Tensor,
  tensor,
  uniformInit,
} from "../../mod.ts";

Deno.test("Linear: weight and bias are U(±1/√in), weight first, from the given rng", () => {
  const [inF, outF] = [100, 300];
  const layer = new Linear(inF, outF, new Rng(5));
  const bound = 1 / Math.sqrt(inF);
  assertEquals(layer.weight.shape, [outF, inF]);
  assertEquals(layer.bias!.shape, [outF]);
  const w = layer.weight.init, b = layer.bias!.init;
  // Float32 rounding of a value just under the bound may round up onto it.
  const limit = Math.fround(bound);
  assert(w.every((v) => Math.abs(v) <= limit), "weight outside ±1/√in");
  assert(b.every((v) => Math.abs(v) <= limit), "bias outside ±1/√in");
  // The bounds are reached, not something narrower: max |w| within 0.1% of the bound.
  assert(Math.max(...w.map(Math.abs)) > 0.999 * bound, "weight never comes near the bound");

  // Kaiming-uniform with a = √5 is exactly U(±1/√in); the draws come weight then bias.
  const rng = new Rng(5);
  assertEquals(w, kaimingUniform(rng, inF * outF, inF, Math.sqrt(5)));
  assertEquals(b, uniformInit(rng, outF, bound));
  assertEquals(Array.from(kaimingUniform(new Rng(9), 4, inF, Math.sqrt(5))), [
    ...uniformInit(new Rng(9), 4, Math.sqrt(1 / 3) * Math.sqrt(3 / inF)),
  ]);

  // Moments of U(−b, b): mean 0 (sd b/√(3n)), variance b²/3 (sd b²·√(4/45/n)).
  const n = w.length;
  const mean = w.reduce((s, v) => s + v, 0) / n;
  const variance = w.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  assert(Math.abs(mean) < 5 * bound / Math.sqrt(3 * n), `weight mean ${mean}`);
  assert(
    Math.abs(variance - bound ** 2 / 3) < 5 * bound ** 2 * Math.sqrt(4 / 45 / n),
    `weight variance ${variance}, expected ${bound ** 2 / 3}`,
  );
  assertEquals(new Linear(3, 2, new Rng(0), { bias: false }).bias, null);
});

Deno.test("Sequential: parameters are named like nn.Sequential's state_dict", () => {
  const rng = new Rng(0);
  const model = new Sequential(
    new Linear(4, 8, rng),
    new ReLU(),
    new Linear(8, 8, rng, { bias: false }),
    new Tanh(),
    new Linear(8, 3, rng),
  );
  assertEquals(model.namedParameters().map(([name]) => name), [
    "0.weight",
    "0.bias",
    "2.weight",
    "4.weight",
    "4.bias",
  ]);
  const outer = new Sequential(new Sequential(new Linear(2, 2, rng)), new Sigmoid());
  assertEquals(outer.namedParameters().map(([name]) => name), ["0.0.weight", "0.0.bias"]);
  assertEquals(model.train(false).layers.map((l) => l.training), [
    false,
    false,
    false,
    false,
    false,
  ]);
  assertEquals(model.train().training, true);
});

/** A model, its bound flat buffers, an input and an upstream gradient. */
function fixture(backend: Backend, seed: number) {
  const rng = new Rng(seed);
  const model = new Sequential(
    new Linear(5, 7, rng),
    new ReLU(),
    new Linear(7, 6, rng),
    new Tanh(),
    new Linear(6, 4, rng),
    new Sigmoid(),
    new Linear(4, 3, rng, { bias: false }),
  );
  const flat = bindParameters(backend, model.namedParameters());
  const x = tensor(backend, Array.from({ length: 9 * 5 }, () => rng.normal()), [9, 5]);
  const g = tensor(backend, Array.from({ length: 9 * 3 }, () => rng.normal()), [9, 3]);
  return { model, flat, x, g };
}

Deno.test("Sequential: fused Linear+activation equals the unfused ops, forward and backward", async () => {
  const b = createCpuBackend();
  const { model, x, g } = fixture(b, 1);
  const fused = model.forward(x);
  // The three activations really were fused: every recorded node is a linear.
  for (let t: Tensor | null = fused; t?.node; t = t.node.inputs[0]) {
    assertEquals(t.node.op, "linear");
  }
  backward(sum(mul(fused, g)));

  // The same network from primitive ops on separate leaf copies of the parameters.
  const leaves = model.parameters().map((p) => tensor(b, p.init, p.shape, true));
  const [w0, b0, w1, b1, w2, b2, w3] = leaves;
  const dense = (h: Tensor, w: Tensor, bias?: Tensor) => {
    const z = matmul(h, w, false, true);
    return bias ? add(z, bias) : z;
  };
  const unfused = dense(sigmoid(dense(tanh(dense(relu(dense(x, w0, b0)), w1, b1)), w2, b2)), w3);
  backward(sum(mul(unfused, g)));

  assertClose(await fused.toArray(), await unfused.toArray(), 1e-6, 1e-6, "output");
  const params = model.parameters();
  for (let i = 0; i < params.length; i++) {
    assertClose(await params[i].grad(), await leaves[i].grad!.toArray(), 1e-6, 1e-5, `grad ${i}`);
  }

  // And bit-for-bit against the unfused activation after an unfused-activation linear.
  const h = linear(x, params[0].value, params[1].value);
  assertEquals(
    await relu(h).toArray(),
    await linear(x, params[0].value, params[1].value, "relu").toArray(),
  );
});

Deno.test("bindParameters: aligned slots in one flat buffer, views that alias it", async () => {
  const cpu = createCpuBackend();
  // The same backend with a 64-element view alignment, as a GPU backend might require.
  const aligned = Object.create(cpu, { viewAlignment: { value: 64 } }) as Backend;
  const rng = new Rng(2);
  const model = new Sequential(new Linear(3, 5, rng), new ReLU(), new Linear(5, 70, rng));
  const flat = bindParameters(aligned, model.namedParameters());
  assertEquals(
    flat.slots.map((s) => [s.name, s.offset, s.size]),
    [["0.weight", 0, 15], ["0.bias", 64, 5], ["2.weight", 128, 350], ["2.bias", 512, 70]],
  );
  assertEquals(flat.size, 640); // the last slot is padded too
  assert(flat.slots.every((s) => s.offset % 64 === 0), "offset not aligned");
  const host = await cpu.read(flat.params);
  for (const s of flat.slots) {
    assertEquals(host.subarray(s.offset, s.offset + s.size), s.parameter.init, s.name);
    assertEquals(s.parameter.value.shape, s.shape);
  }
  // Padding is zero, and so are the gradients before any backward.
  assert(host.subarray(15, 64).every((v) => v === 0), "padding not zero");
  assert((await cpu.read(flat.grads)).every((v) => v === 0), "gradients not zero");
  // Parameters are views: writing the flat buffer changes what they hold.
  cpu.write(flat.params, new Float32Array(flat.size).fill(0.5));
  assert((await model.parameters()[2].value.toArray()).every((v) => v === 0.5), "not a view");
});

Deno.test("gradients accumulate across backward calls like PyTorch's .grad", async () => {
  const b = createCpuBackend();
  const layer = new Linear(3, 2, new Rng(0));
  const flat = bindParameters(b, layer.namedParameters());
  const x = tensor(b, [1, 2, 3, 4, 5, 6], [2, 3]);
  // d sum(x·Wᵀ + b) / dW[r] = Σ_rows x = [5, 7, 9] for every r; d/db = rows = 2.
  backward(sum(layer.forward(x)));
  assertEquals(await layer.weight.grad(), new Float32Array([5, 7, 9, 5, 7, 9]));
  assertEquals(await layer.bias!.grad(), new Float32Array([2, 2]));
  backward(sum(layer.forward(x)));
  assertEquals(await layer.weight.grad(), new Float32Array([10, 14, 18, 10, 14, 18]));
  assertEquals(await layer.bias!.grad(), new Float32Array([4, 4]));
  assertEquals(await b.read(flat.grads), new Float32Array([10, 14, 18, 10, 14, 18, 4, 4]));

  // Plain leaves accumulate into .grad the same way.
  const leaf = tensor(b, [1, -2], [2], true);
  backward(sum(mul(leaf, leaf)));
  backward(sum(mul(leaf, leaf)));
  assertEquals(await leaf.grad!.toArray(), new Float32Array([4, -8]));
});

Deno.test("noGrad: nothing is recorded and the switch is restored, even after a throw", async () => {
  const b = createCpuBackend();
  const { model, flat, x } = fixture(b, 3);
  const y = noGrad(() => {
    assertEquals(isGradEnabled(), false);
    return model.forward(x);
  });
  assertEquals([y.requiresGrad, y.node], [false, null]);
  assertEquals(isGradEnabled(), true);
  backward(sum(y));
  assert((await b.read(flat.grads)).every((v) => v === 0), "noGrad output reached parameters");
  assertThrows(
    () =>
      noGrad(() => {
        throw new GradmeshError("inside");
      }),
    GradmeshError,
    "inside",
  );
  assertEquals(isGradEnabled(), true);
  // Nested: the inner call restores the outer (disabled) state.
  noGrad(() => {
    noGrad(() => {});
    assertEquals(isGradEnabled(), false);
  });
});

Deno.test("Parameter: shape checks and use before binding", () => {
  assertThrows(() => new Parameter([2, 3], new Float32Array(5)), GradmeshError, "[2,3]", "6");
  const p = new Parameter([2], new Float32Array(2));
  assertThrows(() => p.value, GradmeshError, "bindParameters");
});
