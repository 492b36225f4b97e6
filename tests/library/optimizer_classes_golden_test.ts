/**
 * The PyTorch-shaped optimizer classes against PyTorch 1.13 (tests/fixtures/library_golden.json,
 * written by tests/fixtures/make_golden_library.py): an MLP whose state dict is loaded from
 * PyTorch's, trained by hand for a few steps with `new SGD(...)` and `new Adam(...)` over
 * two parameter groups of different lr and weight decay (a layer each, or weights apart
 * from biases); parameters after every step, the
 * losses and the final optimizer state must match, on every backend.
 *
 * @module
 */

import assert from "node:assert/strict";
import { backward } from "../../core/autograd.ts";
import { crossEntropy } from "../../core/loss/cross_entropy.ts";
import { ReLU } from "../../core/nn/activation.ts";
import { Linear } from "../../core/nn/linear.ts";
import { Sequential } from "../../core/nn/sequential.ts";
import type { StateDict } from "../../core/nn/state_dict.ts";
import { optimizerClasses } from "../../core/optim/classes.ts";
import { optionKey } from "../../core/optim/catalog.ts";
import { Rng } from "../../core/rng.ts";
import { tensor } from "../../core/tensor.ts";
import {
  backendsUnderTest,
  describeBackends,
  scaledTolerance,
  type Tolerance,
} from "../core/backends.ts";
import { backendTest, runnableBackends } from "../core/golden.ts";

type Values = Record<string, number[]>;
interface Case {
  name: string;
  optimizer: string;
  defaults: Record<string, number | boolean>;
  groups: ({ params: string[] } & Record<string, number | string[]>)[];
  trace: Values[];
  losses: number[];
  state: Values;
}
interface Fixture {
  tolerance: { atol: number; rtol: number };
  state: Values;
  x: number[];
  y: number[];
  cases: Case[];
}

const fixture: Fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/library_golden.json", import.meta.url)),
);

function assertClose(
  tol: Tolerance,
  name: string,
  got: ArrayLike<number>,
  want: readonly number[],
): void {
  const { atol, rtol } = tol;
  assert.equal(got.length, want.length, `${name}: length`);
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert.ok(err <= atol + rtol * Math.abs(want[i]), `${name}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

// PyTorch's option names (snake_case) as the classes take them (camelCase).
const camel = (args: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(args).map(([k, v]) => [optionKey(k), v]));

const backends = await backendsUnderTest();
describeBackends("optimizer_classes_golden_test.ts", backends);
for (const bt of runnableBackends("library golden", backends)) {
  const tol = scaledTolerance(bt, fixture.tolerance);
  for (const c of fixture.cases) {
    backendTest(
      bt,
      `library golden ${bt.name}: ${c.name} matches torch.optim.${c.optimizer}`,
      async (backend) => {
        const rng = new Rng(1); // overwritten by PyTorch's initial state dict
        const model = new Sequential(new Linear(4, 8, rng), new ReLU(), new Linear(8, 3, rng));
        const byName = new Map(model.namedParameters());
        const initial: StateDict = Object.fromEntries(
          Object.entries(fixture.state).map((
            [key, values],
          ) => [key, { shape: byName.get(key)!.shape, data: Float32Array.from(values) }]),
        );
        model.to(backend).loadStateDict(initial);
        const Optim = optimizerClasses[c.optimizer];
        const opt = new Optim(
          c.groups.map(({ params, ...args }) => ({
            params: params.map((k) => byName.get(k)!),
            ...camel(args),
          })),
          camel(c.defaults),
        );
        const x = tensor(backend, fixture.x, [fixture.y.length, 4]);
        const y = tensor(backend, fixture.y, [fixture.y.length]);
        for (let step = 0; step < c.trace.length; step++) {
          opt.zeroGrad();
          const loss = crossEntropy(model.forward(x), y);
          assertClose(tol, `loss ${step}`, await backend.read(loss.storage), [c.losses[step]]);
          backward(loss);
          opt.step();
          const state = await model.stateDict();
          for (const [key, want] of Object.entries(c.trace[step])) {
            assertClose(tol, `step ${step + 1} ${key}`, state[key].data, want);
          }
        }
        const optState = (await opt.stateDict()).state;
        for (const [key, want] of Object.entries(c.state)) {
          assert.ok(optState[key], `optimizer state ${key} is missing`);
          assertClose(tol, key, optState[key].data, want);
        }
      },
    );
  }
}

Deno.test("library golden: the fixture holds every case", () => {
  assert.deepEqual(fixture.cases.map((c) => c.optimizer), ["SGD", "Adam", "SGD"]);
});
