/**
 * Golden tests of the CTC loss against PyTorch 1.13's `F.ctc_loss`, from
 * tests/fixtures/ctc_golden.json (written by tests/fixtures/make_golden_ctc.py): the loss
 * and its gradient with respect to log_probs, for `backward(loss, grad_output)`.
 *
 * Tolerance: on the CPU, the fixture's own `tolerance` (|ours − torch| ≤ atol + rtol·|torch|,
 * atol 1e-4, rtol 1e-4), which the generator checks torch's own float32 run meets (worst:
 * 0.46 of it, on the 60-step case; gradmesh's scaled recursion measured 0.0011 of it on
 * the CPU and 0.0026 on llvmpipe). The WebGPU backend gets it scaled by the factors
 * backends.ts allows that backend over the CPU for elementwise ops. Expected NaN and ±∞
 * (an infeasible alignment) must be matched exactly.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type Backend,
  backward,
  createCpuBackend,
  ctcLoss,
  type CtcOptions,
  type CtcTargets,
  logSoftmax,
  type Reduction,
  ShapeError,
  type Tensor,
  tensor,
  UsageError,
} from "../../mod.ts";
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
  type StoredTensor,
} from "./golden.ts";

interface CtcCase {
  name: string;
  attrs: { blank: number; reduction: Reduction; zeroInfinity: boolean };
  log_probs: StoredTensor;
  targets: { shape: number[]; data: number[] };
  input_lengths: number[];
  target_lengths: number[];
  grad_output: StoredTensor;
  output: StoredTensor;
  grad: StoredTensor;
}

const fixture = await readFixture<{ torch: string; tolerance: Tolerance; cases: CtcCase[] }>(
  "ctc_golden.json",
);

/** Padded targets as rows, concatenated ones as one flat list. */
function targetsOf(c: CtcCase): CtcTargets {
  const { shape, data } = c.targets;
  if (shape.length === 1) return data;
  return Array.from({ length: shape[0] }, (_, k) => data.slice(k * shape[1], (k + 1) * shape[1]));
}

/** Compares `got` with a stored reference; returns a failure message or null. */
async function compare(
  label: string,
  got: Tensor | null,
  ref: StoredTensor,
  tol: Tolerance,
): Promise<string | null> {
  if (!got) return `${label}: missing`;
  if (got.shape.join() !== ref.shape.join()) {
    return `${label}: shape [${got.shape}], torch [${ref.shape}]`;
  }
  return compareStored(label, await got.toArray(), decode(ref.data), tol);
}

/** Runs one case on `backend`; returns its failures (empty when it passes). */
async function runCtcCase(backend: Backend, c: CtcCase, tol: Tolerance): Promise<string[]> {
  const logProbs = tensor(backend, decode(c.log_probs.data), c.log_probs.shape, true);
  const options: CtcOptions = c.attrs;
  const out = ctcLoss(logProbs, targetsOf(c), c.input_lengths, c.target_lengths, options);
  // The output's read is issued before backward is recorded, and both are awaited together.
  const output = compare("output", out, c.output, tol);
  backward(out, tensor(backend, decode(c.grad_output.data), c.grad_output.shape));
  const failures = await Promise.all([
    output,
    compare("grad log_probs", logProbs.grad, c.grad, tol),
  ]);
  backend.endStep();
  return failures.filter((f): f is string => f !== null);
}

const backends = await backendsUnderTest();
describeBackends("ctc_golden_test.ts", backends);

for (const bt of runnableBackends("ctc", backends)) {
  const tol = scaledTolerance(bt, fixture.tolerance);
  casesTest(
    bt,
    `ctc ${bt.name}: loss and gradient match torch ${fixture.torch}`,
    fixture.cases,
    tol,
    async (backend, c) => (await runCtcCase(backend, c, tol)).map((f) => `${c.name}: ${f}`),
  );
}

Deno.test("ctc: the fixture covers every reduction, both zeroInfinity, and non-zero blanks", () => {
  const attrs = fixture.cases.map((c) => c.attrs);
  for (const r of ["none", "mean", "sum"]) {
    for (const zi of [false, true]) {
      assert.ok(attrs.some((a) => a.reduction === r && a.zeroInfinity === zi), `${r} ${zi}`);
    }
  }
  assert.ok(attrs.some((a) => a.blank !== 0));
  assert.ok(fixture.cases.some((c) => c.output.data.includes("Infinity")));
  assert.ok(fixture.cases.some((c) => c.grad.data.includes("NaN")));
  assert.ok(fixture.cases.some((c) => c.targets.shape.length === 1));
});

Deno.test("ctc: the comparison fails on a wrong value and a wrong NaN", async () => {
  const backend = createCpuBackend();
  const tol = scaledTolerance(backends[0], fixture.tolerance);
  const c = fixture.cases.find((c) => c.name === "padded repeats none")!;
  assert.deepEqual(await runCtcCase(backend, c, tol), []);
  const wrong = structuredClone(c);
  wrong.grad.data[5] = Number(wrong.grad.data[5]) + 3 * (tol.atol + tol.rtol);
  const failures = await runCtcCase(backend, wrong, tol);
  assert.equal(failures.length, 1);
  assert.match(failures[0], /^grad log_probs: values\[5\]/);
  const nan = structuredClone(c);
  nan.output.data[1] = "NaN";
  assert.match((await runCtcCase(backend, nan, tol))[0], /^output\[1\]: ours .*, torch NaN/);
});

Deno.test("ctc: through log_softmax the gradient is the loss's own derivative", async () => {
  // Central differences of the loss with respect to the logits, in float32.
  const b = createCpuBackend();
  const logits = [0.3, -1.2, 0.8, 0.1, 1.5, -0.4, -0.7, 0.2, 0.9, 0.0, -0.3, 0.6];
  const loss = async (values: number[]) => {
    const x = tensor(b, values, [4, 1, 3], true);
    const out = ctcLoss(logSoftmax(x), [[1, 2]], [4], [2], { reduction: "sum" });
    return { x, out, value: (await out.toArray())[0] };
  };
  const { x, out } = await loss(logits);
  backward(out);
  const grad = await x.grad!.toArray();
  const h = 1e-2;
  for (let i = 0; i < logits.length; i++) {
    const up = await loss(logits.map((v, j) => (j === i ? v + h : v)));
    const down = await loss(logits.map((v, j) => (j === i ? v - h : v)));
    const numeric = (up.value - down.value) / (2 * h);
    assert.ok(Math.abs(grad[i] - numeric) < 2e-3, `logit ${i}: ${grad[i]} vs ${numeric}`);
  }
});

Deno.test("ctc: bad arguments are one-line errors naming the argument", () => {
  const b = createCpuBackend();
  const lp = tensor(b, new Float32Array(5 * 2 * 4).fill(Math.log(0.25)), [5, 2, 4]);
  const cases: [() => unknown, new (...a: never[]) => Error, RegExp][] = [
    [
      () => ctcLoss(tensor(b, [0, 0], [1, 2]), [[1]], [1], [1]),
      ShapeError,
      /^ctcLoss: expected log_probs \[T, N, C\], got \[1,2\]$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [5, 5], [1, 1], { blank: 4 }),
      UsageError,
      /^ctcLoss: blank must be in 0\.\.3, got 4$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [5], [1, 1]),
      UsageError,
      /^ctcLoss: inputLengths must have N = 2 entries, got 1$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [5, 6], [1, 1]),
      UsageError,
      /^ctcLoss: inputLengths\[1\] must be an integer in 1\.\.5, got 6$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [0, 5], [1, 1]),
      UsageError,
      /^ctcLoss: inputLengths\[0\] must be an integer in 1\.\.5, got 0$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2, 3]], [5, 5], [2, 1]),
      UsageError,
      /^ctcLoss: targetLengths\[0\] must be at most the 1 labels of targets row 0, got 2$/,
    ],
    [
      () => ctcLoss(lp, [[1]], [5, 5], [1, 1]),
      UsageError,
      /^ctcLoss: targets must have N = 2 rows when padded, got 1$/,
    ],
    [
      () => ctcLoss(lp, [1, 2, 3], [5, 5], [1, 1]),
      UsageError,
      /^ctcLoss: targets must hold sum\(targetLengths\) = 2 labels when concatenated, got 3$/,
    ],
    [
      () => ctcLoss(lp, [1, 0], [5, 5], [1, 1]),
      UsageError,
      /^ctcLoss: targets of sample 1 must be classes in 0\.\.3 other than the blank 0, got 0 at position 0$/,
    ],
    [
      () => ctcLoss(lp, [[1, 4], [2, 0]], [5, 5], [2, 1]),
      UsageError,
      /^ctcLoss: targets of sample 0 must be classes in 0\.\.3 other than the blank 0, got 4 at position 1$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [5, 5], [1, -1]),
      UsageError,
      /^ctcLoss: targetLengths\[1\] must be an integer in 0\.\.1, got -1$/,
    ],
    [
      () => ctcLoss(lp, [[1], [2]], [5, 5], [1, 1], { reduction: "avg" as Reduction }),
      UsageError,
      /^ctcLoss: reduction must be none, mean or sum, got avg$/,
    ],
  ];
  for (const [fn, type, pattern] of cases) {
    assert.throws(
      fn,
      (e: unknown) => e instanceof type && pattern.test(e.message) && !e.message.includes("\n"),
      String(pattern),
    );
  }
});
