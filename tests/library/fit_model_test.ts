/**
 * `fit(model, data, options)` for a user's own `Module` subclass: it trains, and an
 * optimizer built from another model's parameters is refused before anything runs.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createCpuBackend,
  type Dataset,
  fit,
  Linear,
  Module,
  relu,
  Rng,
  SGD,
  type Tensor,
  UsageError,
} from "../../mod.ts";

class TwoLayer extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = this.registerModule("fc1", new Linear(2, 12, rng));
    this.fc2 = this.registerModule("fc2", new Linear(12, 2, rng));
  }
  forward(x: Tensor): Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}

function xorData(): Dataset {
  const rng = new Rng(4);
  const images = Float32Array.from({ length: 128 * 2 }, () => rng.normal());
  const labels = Float32Array.from(
    { length: 128 },
    (_, i) => (images[2 * i] > 0) !== (images[2 * i + 1] > 0) ? 1 : 0,
  );
  return { images, labels, count: 128, sampleShape: [2], classes: 2 };
}

Deno.test("fit: trains a user's own Module subclass", async () => {
  const data = xorData();
  const model = new TwoLayer(new Rng(0));
  const { epochs, final } = await fit(model, { train: data, test: data }, {
    optimizer: new SGD(model.to(createCpuBackend()).parameters(), { lr: 0.2, momentum: 0.9 }),
    epochs: 8,
    batchSize: 16,
  });
  assert.equal(epochs.length, 8);
  assert.ok(epochs[7].train.loss < epochs[0].train.loss / 2, `${epochs.map((e) => e.train.loss)}`);
  assert.ok(final!.accuracy > 0.85, `accuracy ${final!.accuracy}`);
  assert.deepEqual(Object.keys(await model.stateDict()), [
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
  ]);
});

Deno.test("fit: an optimizer of another model's parameters is a usage error", async () => {
  const data = xorData();
  const model = new TwoLayer(new Rng(0)).to(createCpuBackend());
  const other = new TwoLayer(new Rng(1)).to(createCpuBackend());
  await assert.rejects(
    () => fit(model, { train: data, test: data }, { optimizer: new SGD(other.parameters()) }),
    (e: Error) =>
      e instanceof UsageError &&
      e.message === "optimizer: expected an optimizer built from this model's parameters",
  );
});
