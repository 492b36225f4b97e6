/**
 * Golden tests: every op's output and input gradients against PyTorch's, case by case,
 * from tests/fixtures/ops_golden.json (written by tests/fixtures/make_golden.py).
 *
 * Each case runs forward, then `backward(out, g)` with the case's upstream gradient g,
 * so input gradients are d(sum(out·g))/d(input), exactly what the fixture stores.
 * References are float64 results for the stored float32 inputs, so the tolerance
 * measures this backend's float32 error alone; see `backends.ts` for each backend's
 * tolerance and why. A case whose `op` has no mapping below fails.
 *
 * @module
 */

import { elementwiseOpsExercised } from "./activation_cases.ts";
import { assert, assertEquals } from "./asserts.ts";
import {
  add,
  affine,
  argmax,
  type Backend,
  backward,
  binary,
  type BinaryOpName,
  binaryOps,
  createCpuBackend,
  crossEntropy,
  div,
  exp,
  expand,
  gather,
  linear,
  log,
  logSoftmax,
  matmul,
  max,
  mean,
  mseLoss,
  mul,
  neg,
  relu,
  reshape,
  scale,
  sigmoid,
  softmax,
  sub,
  sum,
  tanh,
  Tensor,
  tensor,
  unary,
  unaryOps,
} from "../../mod.ts";
import { opTable } from "../../core/ops.ts";
import type { FusedActivation, Reduction } from "../../mod.ts";
import { backendsUnderTest, CPU_TOLERANCE, describeBackends, type Tolerance } from "./backends.ts";
import { backendTest, readFixture, runnableBackends } from "./golden.ts";

interface GoldenTensor {
  shape: number[];
  data: number[];
}
interface GoldenInput extends GoldenTensor {
  requires_grad: boolean;
}
type Attrs = Record<string, unknown>;
/** One case of ops_golden.json. */
export interface GoldenCase {
  name: string;
  op: string;
  attrs: Attrs;
  inputs: GoldenInput[];
  grad_output: GoldenTensor | null;
  output: GoldenTensor;
  grads: (number[] | null)[];
}

const fixture = await readFixture<{ torch: string; cases: GoldenCase[] }>("ops_golden.json");

const num = (a: Attrs, k: string): number => {
  const v = a[k];
  if (typeof v !== "number") throw new Error(`attribute ${k} must be a number, got ${v}`);
  return v;
};
const optAxis = (a: Attrs): number | undefined => (a.axis === null ? undefined : num(a, "axis"));
const unaryCase = (op: keyof typeof unaryOps) => ([x]: Tensor[], a: Attrs) =>
  unary(op, x, typeof a.alpha === "number" ? a.alpha : 0);
const binaryCase = (op: BinaryOpName) => ([a, b]: Tensor[]) => binary(op, a, b);

/** gradmesh's counterpart of each golden `op`: inputs in the fixture's order. */
export const goldenOps: Record<string, (inputs: Tensor[], attrs: Attrs) => Tensor> = {
  matmul: ([a, b], at) => matmul(a, b, at.transA === true, at.transB === true),
  add: ([a, b]) => add(a, b),
  sub: ([a, b]) => sub(a, b),
  mul: ([a, b]) => mul(a, b),
  div: ([a, b]) => div(a, b),
  eq: binaryCase("eq"),
  relu_grad: binaryCase("relu_grad"),
  tanh_grad: binaryCase("tanh_grad"),
  sigmoid_grad: binaryCase("sigmoid_grad"),
  affine: ([x], a) => affine(x, num(a, "mul"), num(a, "add")),
  scale: ([x], a) => scale(x, num(a, "s")),
  expand: ([x], a) => expand(x, a.shape as number[]),
  reshape: ([x], a) => reshape(x, a.shape as number[]),
  sum: ([x], a) => sum(x, optAxis(a), a.keepdim === true),
  mean: ([x], a) => mean(x, optAxis(a), a.keepdim === true),
  max: ([x], a) => max(x, optAxis(a), a.keepdim === true),
  exp: ([x]) => exp(x),
  log: ([x]) => log(x),
  abs: unaryCase("abs"),
  neg: ([x]) => neg(x),
  relu: ([x]) => relu(x),
  tanh: ([x]) => tanh(x),
  sigmoid: ([x]) => sigmoid(x),
  sign: unaryCase("sign"),
  sqrt: unaryCase("sqrt"),
  square: unaryCase("square"),
  recip: unaryCase("recip"),
  pow: unaryCase("pow"),
  gt: unaryCase("gt"),
  softmax: ([x]) => softmax(x),
  log_softmax: ([x]) => logSoftmax(x),
  // torch.gather(x, 1, idx) with idx [N, 1]; gradmesh takes [N] indices and gives [N].
  gather: ([x, idx]) => reshape(gather(x, reshape(idx, [idx.size])), [idx.size, 1]),
  argmax: ([x]) => argmax(x),
  linear: ([x, w, b], a) => linear(x, w, b ?? null, a.activation as FusedActivation),
  cross_entropy: ([x, t, w], a) =>
    crossEntropy(x, t, {
      weight: w ?? null,
      reduction: a.reduction as Reduction,
      labelSmoothing: num(a, "label_smoothing"),
      ...(a.ignore_index === undefined ? {} : { ignoreIndex: num(a, "ignore_index") }),
    }),
  mse_loss: ([x, y], a) => mseLoss(x, y, a.reduction as Reduction),
};

/** Largest `|ours − ref| / (atol + rtol·|ref|)`; ≤ 1 passes. */
function errorRatio(ours: Float32Array, ref: readonly number[], tol: Tolerance) {
  let worst = { ratio: 0, index: -1 };
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(ours[i] - ref[i]);
    // NaN in ours compares false everywhere, so test for it explicitly.
    const ratio = Number.isNaN(diff) ? Infinity : diff / (tol.atol + tol.rtol * Math.abs(ref[i]));
    if (ratio > worst.ratio) worst = { ratio, index: i };
  }
  return worst;
}

/**
 * Runs one case on `backend`; returns the failures (empty when it passes) and the worst
 * error ratio seen.
 */
export async function runGoldenCase(
  backend: Backend,
  c: GoldenCase,
  tol: Tolerance,
): Promise<{ failures: string[]; worst: number }> {
  const fn = goldenOps[c.op];
  if (!fn) return { failures: [`no gradmesh mapping for op "${c.op}"`], worst: Infinity };
  const inputs = c.inputs.map((i) => tensor(backend, i.data, i.shape, i.requires_grad));
  const out = fn(inputs, c.attrs);
  const failures: string[] = [];
  let worst = 0;
  const check = async (label: string, got: Tensor | null, ref: GoldenTensor) => {
    if (got && got.shape.join() !== ref.shape.join()) {
      failures.push(`${label}: shape [${got.shape}], torch [${ref.shape}]`);
      return;
    }
    // A missing gradient is a zero gradient (torch gives zeros for sign, for example).
    const values = got ? await got.toArray() : new Float32Array(ref.data.length);
    const w = errorRatio(values, ref.data, tol);
    worst = Math.max(worst, w.ratio);
    if (w.ratio > 1) {
      const i = w.index;
      failures.push(
        `${label}[${i}]: ours ${values[i]}, torch ${ref.data[i]} ` +
          `(|diff| ${Math.abs(values[i] - ref.data[i]).toExponential(2)}, ` +
          `${w.ratio.toFixed(1)}× the tolerance)`,
      );
    }
  };
  // Each read is issued before the next op is recorded and all are awaited together:
  // read-backs from a GPU then wait out one map latency, not one each.
  const checks = [check("output", out, c.output)];
  if (c.grad_output) {
    const g = tensor(backend, c.grad_output.data, c.grad_output.shape);
    backward(out, g);
    for (let k = 0; k < c.inputs.length; k++) {
      const ref = c.grads[k];
      if (ref) {
        checks.push(check(`grad[${k}]`, inputs[k].grad, { shape: c.inputs[k].shape, data: ref }));
      }
    }
  }
  await Promise.all(checks);
  backend.endStep();
  return { failures, worst };
}

const backends = await backendsUnderTest();
describeBackends("golden_test.ts", backends);
const ops = [...new Set(fixture.cases.map((c) => c.op))];

const PRODUCT_OPS = new Set(["matmul", "linear"]);

for (const bt of runnableBackends("golden", backends)) {
  for (const op of ops) {
    const tol = PRODUCT_OPS.has(op) ? bt.golden.products : bt.golden.elementwise;
    backendTest(bt, `golden ${bt.name}: ${op} matches torch ${fixture.torch}`, async (backend) => {
      const failures: string[] = [];
      let worst = 0;
      // Every case is recorded and its reads issued before any is awaited (runGoldenCase
      // awaits only its read-backs), so that the read-backs overlap.
      const cases = fixture.cases.filter((c) => c.op === op);
      const results = await Promise.all(cases.map((c) => runGoldenCase(backend, c, tol)));
      for (const [i, r] of results.entries()) {
        worst = Math.max(worst, r.worst);
        failures.push(...r.failures.map((f) => `${cases[i].name}: ${f}`));
      }
      if (Deno.env.get("GOLDEN_VERBOSE")) {
        console.log(`${bt.name} ${op}: worst error ${worst.toFixed(3)} of the tolerance`);
      }
      assert(
        failures.length === 0,
        `${failures.length} mismatches (atol ${tol.atol}, rtol ${tol.rtol}):\n` +
          failures.join("\n"),
      );
    });
  }
}

Deno.test("golden: every case's op has a gradmesh mapping", () => {
  const missing = ops.filter((op) => !(op in goldenOps));
  assertEquals(missing, [], `ops in ops_golden.json without a mapping: ${missing.join(", ")}`);
});

Deno.test("golden: the fixture covers every elementwise op and every opTable entry", async () => {
  // The activations and their `*_grad` ops are covered by activations_golden.json instead.
  const caseOps = new Set([...ops, ...await elementwiseOpsExercised()]);
  const elementwise = [...Object.keys(unaryOps), ...Object.keys(binaryOps)];
  const uncovered = elementwise.filter((op) => !caseOps.has(op));
  assertEquals(uncovered, [], `elementwise ops without a golden case: ${uncovered.join(", ")}`);

  // Walk each case's recorded graph and collect the op-table entries it exercised.
  const seen = new Set<string>();
  const b = createCpuBackend();
  for (const c of fixture.cases) {
    const inputs = c.inputs.map((i) => tensor(b, i.data, i.shape, true));
    const stack = [goldenOps[c.op](inputs, c.attrs)];
    while (stack.length) {
      const t = stack.pop()!;
      if (!t.node) continue;
      seen.add(t.node.op);
      for (const i of t.node.inputs) if (i) stack.push(i);
    }
  }
  const missing = Object.keys(opTable).filter((k) => !seen.has(k));
  assertEquals(missing, [], `opTable entries no golden case exercises: ${missing.join(", ")}`);
});

Deno.test("golden: the comparison fails on a wrong value and on an unmapped op", async () => {
  const b = createCpuBackend();
  const c = fixture.cases.find((c) => c.op === "exp")!;
  const tol = CPU_TOLERANCE.elementwise;
  assertEquals((await runGoldenCase(b, c, tol)).failures, []);
  const wrongOutput = structuredClone(c);
  wrongOutput.output.data[0] += 3 * (tol.atol + tol.rtol * Math.abs(c.output.data[0]));
  const out = await runGoldenCase(b, wrongOutput, tol);
  assert(out.failures.length === 1 && out.failures[0].startsWith("output[0]"), `${out.failures}`);
  const wrongGrad = structuredClone(c);
  wrongGrad.grads[0]![1] *= 1.001;
  const grad = await runGoldenCase(b, wrongGrad, tol);
  assert(
    grad.failures.length === 1 && grad.failures[0].startsWith("grad[0][1]"),
    `${grad.failures}`,
  );
  const unknown = await runGoldenCase(b, { ...c, op: "no_such_op" }, tol);
  assertEquals(unknown.failures, ['no gradmesh mapping for op "no_such_op"']);
});
