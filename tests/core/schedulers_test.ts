/**
 * Learning-rate schedulers against PyTorch 1.13: the lr (and OneCycleLR's momentum) after
 * construction and after each of 40 steps, from tests/fixtures/catalog_golden.json
 * (written by tests/fixtures/make_golden_catalog.py), plus argument errors.
 *
 * Tolerance: relative 1e-12. The schedules repeat PyTorch's float64 arithmetic in the
 * same order, so most values agree to the bit; `Math.cos` (V8's fdlibm port) and the C
 * library's `cos` behind Python's `math.cos` may differ by an ulp, which the recursive
 * forms then carry along.
 *
 * @module
 */

import assert from "node:assert/strict";
import { UsageError } from "../../mod.ts";
import { assertClose } from "./asserts.ts";
import {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
} from "../../core/optim/schedulers/cosine.ts";
import { ExponentialLR, MultiStepLR, StepLR } from "../../core/optim/schedulers/decay.ts";
import { LinearLR } from "../../core/optim/schedulers/linear.ts";
import { OneCycleLR } from "../../core/optim/schedulers/one_cycle.ts";
import { ReduceLROnPlateau } from "../../core/optim/schedulers/plateau.ts";
import type { LrTarget } from "../../core/optim/schedulers/scheduler.ts";

interface SchedulerCase {
  name: string;
  kind: string;
  base_lr: number;
  // deno-lint-ignore no-explicit-any
  options: any;
  metrics?: number[];
  lrs: number[];
  momentums?: number[];
}

const RTOL = 1e-12;
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/catalog_golden.json", import.meta.url)),
) as { torch: string; schedulers: SchedulerCase[] };

type Target = LrTarget & { momentum: number };
/** gradmesh's scheduler for each fixture `kind`; `step` advances it one epoch. */
const make: Record<string, (t: Target, options: SchedulerCase["options"]) => { step(): void }> = {
  StepLR: (t, o) => new StepLR(t, o),
  MultiStepLR: (t, o) => new MultiStepLR(t, o),
  ExponentialLR: (t, o) => new ExponentialLR(t, o),
  CosineAnnealingLR: (t, o) => new CosineAnnealingLR(t, o),
  CosineAnnealingWarmRestarts: (t, o) => new CosineAnnealingWarmRestarts(t, o),
  LinearLR: (t, o) => new LinearLR(t, o),
  OneCycleLR: (t, o) => new OneCycleLR(t, o),
};

for (const c of fixture.schedulers) {
  Deno.test(`scheduler ${c.name} matches torch ${fixture.torch}`, () => {
    // The SGD optimizer of the fixture had momentum 0.9, which OneCycleLR overwrites.
    const target: Target = { lr: c.base_lr, momentum: 0.9 };
    const lrs = [target.lr], momentums = [target.momentum];
    if (c.kind === "ReduceLROnPlateau") {
      const sched = new ReduceLROnPlateau(target, c.options);
      for (const m of c.metrics!) {
        sched.step(m);
        lrs.push(sched.lastLr);
      }
    } else {
      const build = make[c.kind];
      assert.ok(build, `no gradmesh scheduler for kind ${c.kind}`);
      const sched = build(target, c.options);
      lrs[0] = target.lr;
      momentums[0] = target.momentum;
      for (let i = 0; i < c.lrs.length - 1; i++) {
        sched.step();
        lrs.push(target.lr);
        momentums.push(target.momentum);
      }
    }
    assertClose(lrs, c.lrs, 0, RTOL, "lr");
    if (c.momentums) assertClose(momentums, c.momentums, 0, RTOL, "momentum");
  });
}

Deno.test("schedulers: the fixture covers every scheduler", () => {
  const kinds = new Set(fixture.schedulers.map((c) => c.kind));
  assert.deepEqual([...Object.keys(make), "ReduceLROnPlateau"].filter((k) => !kinds.has(k)), []);
});

Deno.test("schedulers: lastLr and lastEpoch follow get_last_lr() and last_epoch", () => {
  const target = { lr: 1 };
  const sched = new StepLR(target, { stepSize: 1, gamma: 0.5 });
  assert.equal(sched.baseLr, 1);
  sched.step();
  // Like PyTorch, the recursive form builds on the lr the target has now.
  target.lr = 10;
  sched.step();
  assert.deepEqual([sched.lastEpoch, sched.lastLr, target.lr], [2, 5, 5]);
});

Deno.test("OneCycleLR: stepping past totalSteps is an error, and the state is kept", () => {
  const target = { lr: 0 };
  const sched = new OneCycleLR(target, { maxLr: 1, totalSteps: 3 });
  for (let i = 0; i < 3; i++) sched.step();
  const lr = target.lr;
  assert.throws(() => sched.step(), UsageError);
  assert.deepEqual([sched.lastEpoch, target.lr], [3, lr]);
});

Deno.test("OneCycleLR: momentum is reported, and written only to a target that has one", () => {
  const plain: LrTarget = { lr: 0 };
  const sched = new OneCycleLR(plain, { maxLr: 1, totalSteps: 10 });
  assert.equal(sched.momentum, 0.95);
  assert.equal("momentum" in plain, false);
  const fixed = { lr: 0, momentum: 0.5 };
  new OneCycleLR(fixed, { maxLr: 1, totalSteps: 10, cycleMomentum: false }).step();
  assert.equal(fixed.momentum, 0.5);
});

Deno.test("schedulers: invalid arguments are usage errors naming the scheduler", () => {
  const t = () => ({ lr: 0.1 });
  const cases: [() => unknown, string][] = [
    [() => new StepLR(t(), { stepSize: 0 }), "StepLR: stepSize"],
    [() => new CosineAnnealingLR(t(), { tMax: 0 }), "CosineAnnealingLR: tMax"],
    [() => new CosineAnnealingWarmRestarts(t(), { t0: 2.5 }), "CosineAnnealingWarmRestarts: t0"],
    [() => new CosineAnnealingWarmRestarts(t(), { t0: 2, tMult: 0 }), "tMult"],
    [() => new LinearLR(t(), { startFactor: 0 }), "LinearLR: startFactor"],
    [() => new LinearLR(t(), { endFactor: 1.5 }), "LinearLR: endFactor"],
    [() => new OneCycleLR(t(), { maxLr: 1 }), "OneCycleLR: totalSteps"],
    [() => new OneCycleLR(t(), { maxLr: 1, totalSteps: 5, pctStart: 2 }), "pctStart"],
    [
      () => new OneCycleLR(t(), { maxLr: 1, totalSteps: 5, annealStrategy: "exp" as "cos" }),
      "annealStrategy",
    ],
    [() => new ReduceLROnPlateau(t(), { factor: 1 }), "ReduceLROnPlateau: factor"],
    [() => new ReduceLROnPlateau(t(), { mode: "up" as "min" }), "mode"],
    [() => new ReduceLROnPlateau(t(), { thresholdMode: "x" as "rel" }), "thresholdMode"],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof UsageError && e.message.includes(message), message);
  }
});
