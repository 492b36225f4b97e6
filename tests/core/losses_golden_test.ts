/**
 * Golden tests of the loss catalogue: each loss's output and input gradients against
 * PyTorch 1.13's, from tests/fixtures/catalog_golden.json (written by
 * tests/fixtures/make_golden_catalog.py). A case runs forward, then `backward(out, g)`
 * with the case's upstream gradient, so gradients are d(sum(out·g))/d(input).
 *
 * Tolerance: on the CPU, the fixture's own `tolerance` (|ours − torch| ≤ atol + rtol·|torch|,
 * atol 2e-6, rtol 2e-5), twice the single-op tolerance of golden_test.ts because a loss is
 * a chain of float32 ops, each rounded once. The generator checks that torch's own float32
 * run meets it (worst: 0.07 of it); the CPU backend stays under 0.25 of it. The WebGPU
 * backend gets it scaled by the factors backends.ts allows that backend over the CPU for
 * elementwise ops (20× atol, 10× rtol). Expected NaN and ±∞ (an all-ignored mean, an
 * empty batch) must be matched exactly. A case whose `op` has no mapping below fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Backend,
  backward,
  createCpuBackend,
  crossEntropy,
  logSoftmax,
  scale,
  ShapeError,
  sub,
  sum,
  type Tensor,
  tensor,
  unary,
  UsageError,
} from "../../mod.ts";
import { assertClose } from "./asserts.ts";
import {
  backendsUnderTest,
  describeBackends,
  scaledTolerance,
  type Tolerance,
} from "./backends.ts";
import {
  casesTest,
  compareStored,
  decode,
  readFixture,
  runnableBackends,
  type Stored,
  type StoredTensor,
} from "./golden.ts";
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from "../../core/loss/binary.ts";
import { crossEntropyProbs } from "../../core/loss/cross_entropy_probs.ts";
import { focalLoss, sigmoidFocalLoss } from "../../core/loss/focal.ts";
import {
  cosineEmbeddingLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  softMarginLoss,
} from "../../core/loss/margin.ts";
import {
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  multiMarginLoss,
} from "../../core/loss/multi_margin.ts";
import { nllLoss } from "../../core/loss/nll.ts";
import { gaussianNllLoss, klDiv, poissonNllLoss } from "../../core/loss/probabilistic.ts";
import type { Reduction } from "../../core/loss/reduction.ts";
import {
  huberLoss,
  l1Loss,
  logCoshLoss,
  quantileLoss,
  smoothL1Loss,
} from "../../core/loss/regression.ts";
import {
  pairwiseDistance,
  tripletMarginLoss,
  tripletMarginWithDistanceLoss,
} from "../../core/loss/triplet.ts";

/** One case of the fixture's `losses`. */
export interface LossCase {
  name: string;
  op: string;
  attrs: Attrs;
  inputs: (StoredTensor & { name: string; requires_grad: boolean })[];
  grad_output: StoredTensor;
  output: StoredTensor;
  grads: (Stored[] | null)[];
}
// The fixture writes gradmesh's option names, so attrs pass through as options.
// deno-lint-ignore no-explicit-any
type Attrs = Record<string, any>;
type Inputs = Record<string, Tensor>;

const fixture = await readFixture<{ torch: string; tolerance: Tolerance; losses: LossCase[] }>(
  "catalog_golden.json",
);

const DISTANCES: Record<string, ((a: Tensor, b: Tensor) => Tensor) | undefined> = {
  pairwise: undefined,
  squared_euclidean: (a, b) => sum(unary("square", sub(a, b)), -1),
};

/** gradmesh's counterpart of each fixture `op`, given the named inputs and the attrs. */
export const catalogLosses: Record<string, (x: Inputs, a: Attrs) => Tensor> = {
  l1_loss: ({ input, target }, a) => l1Loss(input, target, a.reduction as Reduction),
  smooth_l1_loss: ({ input, target }, a) => smoothL1Loss(input, target, a),
  huber_loss: ({ input, target }, a) => huberLoss(input, target, a),
  log_cosh_loss: ({ input, target }, a) => logCoshLoss(input, target, a.reduction as Reduction),
  quantile_loss: ({ input, target }, a) => quantileLoss(input, target, a),
  nll_loss: ({ input, target, weight }, a) => nllLoss(input, target, { ...a, weight }),
  binary_cross_entropy: ({ input, target, weight }, a) =>
    binaryCrossEntropy(input, target, { ...a, weight }),
  binary_cross_entropy_with_logits: ({ input, target, weight, posWeight }, a) =>
    binaryCrossEntropyWithLogits(input, target, { ...a, weight, posWeight }),
  kl_div: ({ input, target }, a) => klDiv(input, target, a),
  poisson_nll_loss: ({ input, target }, a) => poissonNllLoss(input, target, a),
  gaussian_nll_loss: ({ input, target, var: variance }, a) =>
    gaussianNllLoss(input, target, variance, a),
  margin_ranking_loss: ({ input1, input2, target }, a) =>
    marginRankingLoss(input1, input2, target, a),
  hinge_embedding_loss: ({ input, target }, a) => hingeEmbeddingLoss(input, target, a),
  soft_margin_loss: ({ input, target }, a) => softMarginLoss(input, target, a.reduction),
  cosine_embedding_loss: ({ input1, input2, target }, a) =>
    cosineEmbeddingLoss(input1, input2, target, a),
  multi_margin_loss: ({ input, target, weight }, a) =>
    multiMarginLoss(input, target, { ...a, weight }),
  multilabel_margin_loss: ({ input, target }, a) =>
    multilabelMarginLoss(input, target, a.reduction),
  multilabel_soft_margin_loss: ({ input, target, weight }, a) =>
    multilabelSoftMarginLoss(input, target, { ...a, weight }),
  triplet_margin_loss: ({ anchor, positive, negative }, a) =>
    tripletMarginLoss(anchor, positive, negative, a),
  triplet_margin_with_distance_loss: ({ anchor, positive, negative }, a) => {
    if (!(a.distance in DISTANCES)) throw new Error(`unknown distance ${a.distance}`);
    const { distance, ...options } = a;
    return tripletMarginWithDistanceLoss(anchor, positive, negative, {
      ...options,
      distanceFunction: DISTANCES[distance],
    });
  },
  sigmoid_focal_loss: ({ input, target }, a) => sigmoidFocalLoss(input, target, a),
  focal_loss: ({ input, target, weight }, a) => focalLoss(input, target, { ...a, weight }),
  cross_entropy_probs: ({ logits, target, weight }, a) =>
    crossEntropyProbs(logits, target, { ...a, weight }),
};

/** Compares `got` with a stored reference; returns a failure message or null. */
async function compare(
  label: string,
  got: Tensor | null,
  ref: StoredTensor,
  tol: Tolerance,
): Promise<string | null> {
  if (got && got.shape.join() !== ref.shape.join()) {
    return `${label}: shape [${got.shape}], torch [${ref.shape}]`;
  }
  const expected = decode(ref.data);
  // A missing gradient is a zero gradient (torch gives zeros where nothing flows).
  const values = got ? await got.toArray() : new Float32Array(expected.length);
  return compareStored(label, values, expected, tol);
}

/** Runs one case on `backend`; returns its failures (empty when it passes). */
export async function runLossCase(
  backend: Backend,
  c: LossCase,
  tol: Tolerance,
): Promise<string[]> {
  const fn = catalogLosses[c.op];
  if (!fn) return [`no gradmesh mapping for op "${c.op}"`];
  const inputs: Inputs = Object.fromEntries(
    c.inputs.map((i) => [i.name, tensor(backend, decode(i.data), i.shape, i.requires_grad)]),
  );
  const out = fn(inputs, c.attrs);
  // Each read is issued before the next op is recorded and all are awaited together:
  // read-backs from a GPU then wait out one map latency, not one each.
  const output = compare("output", out, c.output, tol);
  backward(out, tensor(backend, decode(c.grad_output.data), c.grad_output.shape));
  const grads = c.inputs.flatMap((i, k) => {
    const ref = c.grads[k];
    return ref ? [compare(`grad ${i.name}`, inputs[i.name].grad, { ...i, data: ref }, tol)] : [];
  });
  const failures = await Promise.all([output, ...grads]);
  backend.endStep();
  return failures.filter((f): f is string => f !== null);
}

const backends = await backendsUnderTest();
describeBackends("losses_golden_test.ts", backends);
const ops = [...new Set(fixture.losses.map((c) => c.op))];

for (const bt of runnableBackends("losses", backends)) {
  const tol = scaledTolerance(bt, fixture.tolerance);
  for (const op of ops) {
    casesTest(
      bt,
      `losses ${bt.name}: ${op} matches torch ${fixture.torch}`,
      fixture.losses.filter((c) => c.op === op),
      tol,
      async (backend, c) => (await runLossCase(backend, c, tol)).map((f) => `${c.name}: ${f}`),
    );
  }
}

Deno.test("losses: every fixture op has a mapping and every mapping a case", () => {
  assert.deepEqual(ops.filter((op) => !(op in catalogLosses)), []);
  assert.deepEqual(Object.keys(catalogLosses).filter((op) => !ops.includes(op)), []);
});

Deno.test("losses: the comparison fails on a wrong value, a wrong NaN and an unmapped op", async () => {
  const cpu = backends[0];
  const backend = await cpu.create!();
  const tol = scaledTolerance(cpu, fixture.tolerance);
  const c = fixture.losses.find((c) => c.op === "huber_loss")!;
  assert.deepEqual(await runLossCase(backend, c, tol), []);
  const wrong = structuredClone(c);
  wrong.grads[0]![1] = Number(wrong.grads[0]![1]) + 3 * (tol.atol + tol.rtol);
  const failures = await runLossCase(backend, wrong, tol);
  assert.equal(failures.length, 1);
  assert.match(failures[0], /^grad input: values\[1\]/);
  const nan = structuredClone(c);
  nan.output.data[0] = "NaN";
  assert.match((await runLossCase(backend, nan, tol))[0], /^output\[0\]: ours .*, torch NaN/);
  assert.deepEqual(await runLossCase(backend, { ...c, op: "no_such_loss" }, tol), [
    'no gradmesh mapping for op "no_such_loss"',
  ]);
  backend.destroy();
});

const cpu = createCpuBackend();
const filled = (shape: number[], f = (i: number) => Math.sin(i + 1) * 2) =>
  tensor(cpu, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)), shape);

Deno.test("losses: shape errors name the loss and the shapes", () => {
  const t = (...shape: number[]) => filled(shape);
  const cases: [() => unknown, string, ...string[]][] = [
    [() => l1Loss(t(2, 3), t(3, 2)), "l1Loss", "input [2,3], target [3,2]"],
    [() => nllLoss(t(2), t(2)), "nllLoss", "[N, C, …]", "[2]"],
    [() => nllLoss(t(2, 3, 4), t(2, 5)), "nllLoss", "[2,3,4]", "[2,5]"],
    [() => nllLoss(t(2, 3), t(2), { weight: t(4) }), "nllLoss", "weight must be [3], got [4]"],
    [
      () => binaryCrossEntropy(t(2, 3), t(2, 3), { weight: t(2) }),
      "binaryCrossEntropy",
      "weight [2] does not broadcast to [2,3]",
    ],
    [
      () => binaryCrossEntropyWithLogits(t(2, 3), t(2, 3), { posWeight: t(3, 3) }),
      "binaryCrossEntropyWithLogits",
      "posWeight [3,3]",
    ],
    [() => gaussianNllLoss(t(4, 3), t(4, 3), t(3)), "gaussianNllLoss", "var must be", "got [3]"],
    [() => cosineEmbeddingLoss(t(4, 3), t(4, 3), t(3)), "cosineEmbeddingLoss", "[4,3]", "[3]"],
    [() => multiMarginLoss(t(4, 3), t(4, 1)), "multiMarginLoss", "[N, C]", "[4,1]"],
    [() => multilabelMarginLoss(t(2, 2, 2), t(2, 2, 2)), "multilabelMarginLoss", "[2,2,2]"],
    [() => crossEntropyProbs(t(2, 3, 4), t(2, 3, 4)), "crossEntropyProbs", "[2,3,4]"],
    [() => tripletMarginLoss(t(2, 3), t(2, 3), t(2, 4)), "tripletMarginLoss", "negative [2,4]"],
    [() => focalLoss(t(2, 3), t(3)), "focalLoss", "[2,3]", "[3]"],
    [() => sigmoidFocalLoss(t(2, 3), t(3)), "sigmoidFocalLoss", "[2,3]", "[3]"],
  ];
  for (const [fn, loss, ...parts] of cases) {
    assert.throws(fn, (e) => {
      assert.ok(e instanceof ShapeError, `${loss}: ${e}`);
      assert.equal(e.op, loss);
      for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" lacks "${p}"`);
      return true;
    });
  }
});

Deno.test("losses: invalid arguments are usage errors naming the loss and the argument", () => {
  const x = filled([2, 3]), y = filled([2, 3]), idx = tensor(cpu, [0, 2], [2]);
  const cases: [() => unknown, string][] = [
    [() => smoothL1Loss(x, y, { beta: -1 }), "smoothL1Loss: beta"],
    [() => huberLoss(x, y, { delta: 0 }), "huberLoss: delta"],
    [() => quantileLoss(x, y, { q: 1 }), "quantileLoss: q"],
    [() => multiMarginLoss(x, idx, { p: 3 as 1 }), "multiMarginLoss: p"],
    [() => pairwiseDistance(x, y, { p: 0 }), "pairwiseDistance: p"],
    [() => tripletMarginWithDistanceLoss(x, y, y, { margin: 0 }), "margin"],
    [() => focalLoss(x, idx, { gamma: -1 }), "focalLoss: gamma"],
    [() => sigmoidFocalLoss(x, y, { gamma: -1 }), "sigmoidFocalLoss: gamma"],
    [() => gaussianNllLoss(x, y, y, { eps: 0 }), "gaussianNllLoss: eps"],
    [() => klDiv(x, y, { reduction: "avg" as Reduction }), "reduction: expected none"],
  ];
  for (const [fn, message] of cases) {
    assert.throws(fn, (e) => e instanceof UsageError && e.message.includes(message), message);
  }
});

/** Values and input gradients (of the sum) of two ways to compute one loss. */
async function assertSameLoss(label: string, x: Tensor, a: () => Tensor, b: () => Tensor) {
  const run = async (f: () => Tensor) => {
    x.grad = null;
    const out = f();
    backward(sum(out));
    return [...await out.toArray(), ...await x.grad!.toArray()];
  };
  assertClose(await run(a), await run(b), 1e-6, 1e-5, label);
}

Deno.test("losses: special cases agree with the losses they generalise", async () => {
  const x = tensor(cpu, await filled([6, 4]).toArray(), [6, 4], true);
  const t = tensor(cpu, [0, 3, 1, 1, 2, 3], [6]);
  const weight = filled([4], (i) => 0.5 + i / 3);
  for (const reduction of ["none", "mean", "sum"] as Reduction[]) {
    for (const options of [{ reduction }, { reduction, weight, ignoreIndex: 1 }]) {
      const label = `${reduction} weighted=${"weight" in options}`;
      await assertSameLoss(
        `nllLoss(logSoftmax) = crossEntropy ${label}`,
        x,
        () => nllLoss(logSoftmax(x), t, options),
        () => crossEntropy(x, t, options),
      );
      await assertSameLoss(
        `focalLoss γ=0 = crossEntropy ${label}`,
        x,
        () => focalLoss(x, t, { ...options, gamma: 0 }),
        () => crossEntropy(x, t, options),
      );
    }
    const oneHot = tensor(
      cpu,
      [...await t.toArray()].flatMap((c) => [0, 1, 2, 3].map((k) => +(k === c))),
      [6, 4],
    );
    await assertSameLoss(
      `crossEntropyProbs(one-hot) = crossEntropy ${reduction}`,
      x,
      () => crossEntropyProbs(x, oneHot, { reduction, labelSmoothing: 0.1 }),
      () => crossEntropy(x, t, { reduction, labelSmoothing: 0.1 }),
    );
  }
  const y = filled([6, 4], (i) => Math.cos(i) * 3);
  await assertSameLoss(
    "huberLoss(δ) = δ·smoothL1Loss(β = δ)",
    x,
    () => huberLoss(x, y, { delta: 0.7, reduction: "none" }),
    () => scale(smoothL1Loss(x, y, { beta: 0.7, reduction: "none" }), 0.7),
  );
  await assertSameLoss(
    "tripletMarginLoss = tripletMarginWithDistanceLoss with pairwiseDistance",
    x,
    () => tripletMarginLoss(x, y, scale(y, -0.5), { swap: true, margin: 2 }),
    () => tripletMarginWithDistanceLoss(x, y, scale(y, -0.5), { swap: true, margin: 2 }),
  );
});
