/**
 * `backward` with `gradsCleared`: each parameter's gradient is copied into its cleared
 * storage instead of added, with the same result; without the flag, gradients of two
 * passes still add up.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  backward,
  bindParameters,
  createCpuBackend,
  crossEntropy,
  Linear,
  ReLU,
  Rng,
  Sequential,
  tensor,
} from "../../mod.ts";

const b = createCpuBackend();

function setup() {
  const rng = new Rng(1);
  const model = new Sequential(new Linear(5, 4, rng), new ReLU(), new Linear(4, 3, rng));
  const flat = bindParameters(b, model.namedParameters());
  const x = tensor(b, Array.from({ length: 10 }, (_, i) => Math.sin(i)), [2, 5]);
  const loss = () => crossEntropy(model.forward(x), tensor(b, [2, 0], [2]));
  return { flat, loss };
}

Deno.test("backward: gradients copied into cleared storage equal those added to it", async () => {
  const added = setup(), copied = setup();
  backward(added.loss());
  backward(copied.loss(), undefined, undefined, true);
  const [a, c] = [await b.read(added.flat.grads), await b.read(copied.flat.grads)];
  assert.ok(a.some((v) => v !== 0));
  assert.deepEqual(Array.from(c), Array.from(a));
  // A second pass without the flag accumulates: twice the single-pass gradient.
  backward(copied.loss());
  const twice = await b.read(copied.flat.grads);
  twice.forEach((v, i) => assert.ok(Math.abs(v - 2 * a[i]) <= 1e-6, `element ${i}`));
});
