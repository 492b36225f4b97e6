/**
 * A user's data-parallel script, as `launch_test.ts` runs it: a small MLP on synthetic
 * data trained with `fit` over the mesh that `launch` gives each worker; rank 0 writes the
 * trained state dict as JSON to the path in its first argument.
 *
 * @module
 */

import { fit, launch, Linear, ReLU, Rng, Sequential, SGD } from "../../mod.ts";
import { createCpuBackend } from "../../mod.ts";

await launch(async ({ rank, world, ...mesh }) => {
  const rng = new Rng(7);
  const count = 96;
  const images = Float32Array.from({ length: count * 5 }, () => rng.normal());
  const labels = Float32Array.from(
    { length: count },
    (_, i) => (images[5 * i] > 0 ? 1 : 0) + (images[5 * i + 1] > 0 ? 1 : 0),
  );
  const data = { images, labels, count, sampleShape: [5], classes: 3 };
  const model = new Sequential(new Linear(5, 16, rng), new ReLU(), new Linear(16, 3, rng));
  model.to(createCpuBackend());
  const optimizer = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const { final } = await fit(model, { train: data, test: data }, {
    optimizer,
    epochs: 2,
    batchSize: 24,
    distributed: mesh,
  });
  if (rank === 0) {
    const state = await model.stateDict();
    const values = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, [...t.data]]));
    await Deno.writeTextFile(Deno.args[0], JSON.stringify({ world, final, values }));
  }
}, { workers: 1 });
