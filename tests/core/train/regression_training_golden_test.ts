/**
 * The trainer's regression path against PyTorch (tests/fixtures/regression_training_golden.json,
 * made by tests/fixtures/make_golden_regression_training.py): four SGD steps with momentum
 * of an MLP 3-8-2 on two-target batches, for Huber (mean), quantile (sum), log-cosh (mean)
 * and MSE (sum), from the fixture's parameters. Each step's recorded loss (per target,
 * whatever the reduction) and the final parameters match PyTorch's float64 run on every
 * backend.
 */

import { buildTrainer, defaultTrainConfig, type TrainConfig } from "../../../core/train/config.ts";
import type { RegressionReduction } from "../../../core/train/regression_settings.ts";
import { assertClose } from "../asserts.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";

interface Case {
  loss: string;
  args: { reduction: RegressionReduction; huberDelta?: number; quantile?: number };
  losses: number[];
  params: number[];
}

const golden = JSON.parse(
  await Deno.readTextFile(
    new URL("../../fixtures/regression_training_golden.json", import.meta.url),
  ),
) as {
  rows: number;
  lr: number;
  momentum: number;
  initial: number[];
  x: number[];
  y: number[];
  cases: Case[];
};
const backends = await backendsUnderTest();
describeBackends("regression_training_golden_test", backends);

for (const b of backends) {
  Deno.test({
    name: `regression training on ${b.name}: steps of four losses match PyTorch`,
    ignore: !b.create,
    async fn() {
      const { rows } = golden;
      for (const c of golden.cases) {
        const backend = await b.create!();
        const config: TrainConfig = {
          ...defaultTrainConfig,
          ...c.args,
          task: "regression",
          loss: c.loss,
          model: "3-8-2",
          activation: "tanh",
          lr: golden.lr,
          momentum: golden.momentum,
          weightDecay: 0,
        };
        const trainer = buildTrainer(config, backend, {
          sampleShape: [3],
          classes: 2,
          targets: 2,
        });
        // Slots may be padded apart (WebGPU): the fixture's values go slot by slot.
        const { slots, size } = trainer.flat;
        const host = new Float32Array(size);
        let at = 0;
        for (const slot of slots) {
          host.set(golden.initial.slice(at, at += slot.size), slot.offset);
        }
        backend.write(trainer.flat.params, host);
        const losses: number[] = [];
        for (let step = 0; step < c.losses.length; step++) {
          const x = Float32Array.from(golden.x.slice(step * rows * 3, (step + 1) * rows * 3));
          const y = Float32Array.from(golden.y.slice(step * rows * 2, (step + 1) * rows * 2));
          await trainer.step({ x, y, rows }, rows);
          losses.push((await trainer.takeTrainMetrics()).loss);
        }
        const { products } = b.golden;
        const what = `${c.loss} ${JSON.stringify(c.args)}`;
        assertClose(losses, c.losses, products.atol, products.rtol, `${what} losses`);
        const flat = await backend.read(trainer.flat.params);
        const params = slots.flatMap((s) => [...flat.subarray(s.offset, s.offset + s.size)]);
        assertClose(params, c.params, products.atol, products.rtol, `${what} parameters`);
        backend.destroy();
      }
    },
  });
}
