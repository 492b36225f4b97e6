/**
 * Finite-difference checks of every entry of `opTable` (and of every elementwise op and
 * both losses): for f(x) = sum(op(x)·g) with a random g, the autograd directional
 * derivative ⟨∇f, d⟩ must match a finite difference of f along d, per input, for
 * {@link DIRECTIONS} random directions.
 *
 * Precision, since the backend computes in float32:
 * - The difference is the fourth-order central stencil
 *   (8·(f(x+εv) − f(x−εv)) − (f(x+2εv) − f(x−2εv))) / 12ε, whose truncation error
 *   ε⁴·f⁽⁵⁾/30 is negligible at ε = 1e-2 (the plain two-point difference left up to 6e-4
 *   relative error on 1/x near x = 0.25, which would have forced a loose tolerance).
 * - The four points are rounded to float32 before use, so the direction actually spanned
 *   is d = (8·(x₊₁ − x₋₁) − (x₊₂ − x₋₂)) / 12ε, and ⟨∇f, d⟩ is formed with that d.
 * - f is summed on the host in float64 from the float32 outputs, so its error is the
 *   outputs' own rounding, ≤ NOISE_ULPS·u·Σ|yᵢgᵢ| (u = 2⁻²⁴), which the stencil
 *   amplifies by 1.5/ε.
 * - Inputs keep ≥ 0.25 away from kinks (relu, abs, sign, gt, the piecewise activations)
 *   and ties (max), so no stencil straddles one (its points move each input by ≤ 2ε·|v|
 *   ≈ 0.08).
 * - Pass: |⟨∇f, d⟩ − FD| ≤ RTOL·Σᵢ|∂f/∂xᵢ·dᵢ| + 1.5·NOISE_ULPS·u·Σ|yᵢgᵢ|/ε + ATOL. The
 *   sum of magnitudes is the scale, so cancellation in the dot product cannot hide an
 *   error. With RTOL = 1e-4 and NOISE_ULPS = 8 the worst CPU check uses ~1/10 of the
 *   tolerance, and a gradient 1% wrong fails (self-test at the bottom).
 *
 * @module
 */

import { assert, assertEquals } from "./asserts.ts";
import {
  type Backend,
  backward,
  binary,
  type BinaryOpName,
  binaryOps,
  createCpuBackend,
  crelu,
  crossEntropy,
  type CrossEntropyOptions,
  type FusedActivation,
  gather,
  linear,
  logSoftmax,
  matmul,
  max,
  maxout,
  mean,
  mseLoss,
  mul,
  noGrad,
  type Reduction,
  reshape,
  Rng,
  softmax,
  srelu,
  sum,
  Tensor,
  tensor,
  unary,
  type UnaryOpName,
  unaryOps,
} from "../../mod.ts";
import { apply, type OpName, opTable } from "../../core/ops.ts";
import { backendsUnderTest, type BackendUnderTest, describeBackends } from "./backends.ts";
import { runnableBackends } from "./golden.ts";

const EPS = 1e-2;
const RTOL = 1e-4;
const NOISE_ULPS = 8;
const F32_EPS = 2 ** -24;
const ATOL = 1e-6;
const DIRECTIONS = 2;

/** One input of a check: host values, and whether its gradient is checked. */
interface InputSpec {
  shape: number[];
  data: Float32Array;
  grad: boolean;
}

/** A function of tensors to differentiate, with its inputs. */
interface Check {
  name: string;
  inputs: InputSpec[];
  fn: (xs: Tensor[]) => Tensor;
}

let rng = new Rng(0);
/** Each test draws from its own stream, so filtering or reordering tests changes nothing. */
function reseed(name: string): void {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  rng = new Rng(h);
}
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
function fill(shape: number[], draw: () => number, grad = true): InputSpec {
  return { shape, data: Float32Array.from({ length: size(shape) }, draw), grad };
}
const randn = (shape: number[], scale = 1) => fill(shape, () => scale * rng.normal());
const positive = (shape: number[]) => fill(shape, () => rng.uniformIn(0.5, 2.5));
/** |x − from| ≥ gap (0.25: no stencil crosses a kink at `from`). */
const awayFrom = (shape: number[], from = 0, gap = 0.25) =>
  fill(shape, () => from + (rng.uniform() < 0.5 ? -1 : 1) * (gap + Math.abs(rng.normal())));
/**
 * Divisors: |x| ≥ 0.5. Closer to the pole the stencil's ±0.08 steps are a large fraction
 * of x and even the fourth-order difference picks up truncation error.
 */
const divisor = (shape: number[]) => awayFrom(shape, 0, 0.5);
/** Uniform in [lo, hi] with |x − p| ≥ 0.25 for every kink p. */
const avoiding = (shape: number[], kinks: number[], lo: number, hi: number) =>
  fill(shape, () => {
    for (;;) {
      const x = rng.uniformIn(lo, hi);
      if (kinks.every((p) => Math.abs(x - p) >= 0.25)) return x;
    }
  });
/** Distinct values at least 0.25 apart in random order: max has one owner per slice. */
function spaced(shape: number[]): InputSpec {
  const n = size(shape);
  const values = Array.from({ length: n }, (_, i) => 0.3 * (i - n / 2) + 0.05 * rng.uniform());
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [values[i], values[j]] = [values[j], values[i]];
  }
  return { shape, data: Float32Array.from(values), grad: true };
}
/**
 * `[n, k]` weights whose rows each have one sign and |w| ≥ 0.25: with positive inputs,
 * every pre-activation is ≥ 0.75 away from relu's kink.
 */
function signedRows(n: number, k: number): InputSpec {
  const spec = positive([n, k]);
  for (let r = 0; r < n; r++) {
    const sign = r % 2 ? -1 : 1;
    for (let c = 0; c < k; c++) spec.data[r * k + c] = sign * (0.25 + 0.5 * spec.data[r * k + c]);
  }
  return spec;
}
const classes = (n: number, c: number, ignored: number | null = null): InputSpec =>
  fill([n], () => (ignored !== null && rng.uniform() < 0.3 ? ignored : rng.int(c)), false);

const unaryInputs: Record<
  UnaryOpName,
  { alpha?: number; beta?: number; input: () => InputSpec }[]
> = {
  neg: [{ input: () => randn([3, 7]) }],
  exp: [{ input: () => randn([3, 7]) }],
  log: [{ input: () => positive([3, 7]) }],
  abs: [{ input: () => awayFrom([3, 7]) }],
  sign: [{ input: () => awayFrom([3, 7]) }],
  sqrt: [{ input: () => positive([3, 7]) }],
  square: [{ input: () => randn([3, 7]) }],
  recip: [{ input: () => divisor([3, 7]) }],
  relu: [{ input: () => awayFrom([3, 7]) }],
  tanh: [{ input: () => randn([3, 7], 2) }],
  sigmoid: [{ input: () => randn([3, 7], 3) }],
  pow: [
    { alpha: 2, input: () => randn([3, 7]) },
    { alpha: 3, input: () => randn([3, 7]) },
    { alpha: 0.5, input: () => positive([3, 7]) },
    { alpha: -1.5, input: () => positive([3, 7]) },
    { alpha: 0, input: () => positive([3, 7]) },
  ],
  gt: [{ alpha: 0.3, input: () => awayFrom([3, 7], 0.3) }],
  leaky_relu: [{ alpha: 0.2, input: () => awayFrom([3, 7]) }],
  elu: [{ alpha: 1.5, input: () => awayFrom([3, 7]) }],
  selu: [{ input: () => awayFrom([3, 7]) }],
  celu: [{ alpha: 0.7, input: () => awayFrom([3, 7]) }],
  gelu: [{ input: () => randn([3, 7], 2) }],
  gelu_tanh: [{ input: () => randn([3, 7], 2) }],
  silu: [{ input: () => randn([3, 7], 3) }],
  mish: [{ input: () => randn([3, 7], 3) }],
  hardswish: [{ input: () => avoiding([3, 7], [-3, 3], -5, 5) }],
  hardsigmoid: [{ input: () => avoiding([3, 7], [-3, 3], -5, 5) }],
  hardtanh: [{ alpha: -1.5, beta: 0.5, input: () => avoiding([3, 7], [-1.5, 0.5], -3, 3) }],
  log_sigmoid: [{ input: () => randn([3, 7], 3) }],
  // f″ jumps at 0, which the stencil would pick up.
  softsign: [{ input: () => awayFrom([3, 7]) }],
  softplus: [
    { alpha: 1, beta: 20, input: () => randn([3, 7], 3) },
    // β·x = threshold at x = 0.5, where the output jumps.
    { alpha: 2, beta: 1, input: () => avoiding([3, 7], [0.5], -3, 3) },
  ],
  sin: [{ input: () => randn([3, 7], 3) }],
  // The straight-through gradient is no derivative: only |x| > 1, where both are 0, checks.
  sign_ste: [{ input: () => awayFrom([3, 7], 0, 1.25) }],
  softshrink: [
    { alpha: 0.5, input: () => avoiding([3, 7], [-0.5, 0.5], -3, 3) },
    { alpha: 0, input: () => awayFrom([3, 7]) },
  ],
};

/**
 * Binary ops that only run inside backward passes (under noGrad): their vjp gives no
 * gradient by design, which the test below asserts instead of a finite difference.
 */
const backwardOnlyBinary = new Set<BinaryOpName>(
  (Object.keys(binaryOps) as BinaryOpName[]).filter((op) => op === "eq" || op.endsWith("_grad")),
);
const BROADCAST: [number[], number[]][] = [
  [[3, 1, 5], [4, 1]],
  [[2, 3], [3]],
  [[2, 3], []],
  [[4, 7], [4, 7]],
];

/** Checks for each op-table entry; the key set must equal opTable's (type-checked too). */
const checks: Record<OpName, () => Check[]> = {
  unary: () =>
    (Object.keys(unaryOps) as UnaryOpName[]).flatMap((op) =>
      unaryInputs[op].map(({ alpha = 0, beta = 0, input }) => ({
        name: `unary ${op}${alpha ? ` alpha=${alpha}` : ""}${beta ? ` beta=${beta}` : ""}`,
        inputs: [input()],
        fn: ([x]: Tensor[]) => unary(op, x, alpha, beta),
      }))
    ),
  binary: () =>
    (Object.keys(binaryOps) as BinaryOpName[]).filter((op) => !backwardOnlyBinary.has(op))
      .flatMap((op) =>
        BROADCAST.map(([sa, sb]) => ({
          name: `binary ${op} [${sa}] [${sb}]`,
          inputs: [randn(sa), op === "div" ? divisor(sb) : randn(sb)],
          fn: ([a, b]: Tensor[]) => binary(op, a, b),
        }))
      ),
  affine: () => [
    {
      name: "affine *2.5-0.75",
      inputs: [randn([3, 5])],
      fn: ([x]) => apply("affine", opTable.affine, [x], [2.5, -0.75] as const),
    },
  ],
  expand: () => [
    {
      name: "expand [3,1] -> [2,3,4]",
      inputs: [randn([3, 1])],
      fn: ([x]) => apply("expand", opTable.expand, [x], [2, 3, 4]),
    },
    {
      name: "expand [] -> [5]",
      inputs: [randn([])],
      fn: ([x]) => apply("expand", opTable.expand, [x], [5]),
    },
  ],
  reshape: () => [
    {
      name: "reshape [2,3,4] -> [6,4]",
      inputs: [randn([2, 3, 4])],
      fn: ([x]) => reshape(x, [6, -1]),
    },
  ],
  reduce: () => [
    ...[0, 1, 2].flatMap((axis) =>
      [false, true].map((keepdim) => ({
        name: `reduce sum axis=${axis} keepdim=${keepdim}`,
        inputs: [randn([3, 4, 5])],
        fn: ([x]: Tensor[]) => sum(x, axis, keepdim),
      }))
    ),
    ...[0, 1, 2].map((axis) => ({
      name: `reduce max axis=${axis}`,
      inputs: [spaced([3, 4, 5])],
      fn: ([x]: Tensor[]) => max(x, axis, axis === 1),
    })),
    { name: "reduce sum all", inputs: [randn([3, 5])], fn: ([x]) => sum(x) },
    { name: "reduce max all", inputs: [spaced([3, 5])], fn: ([x]) => max(x) },
    { name: "mean axis=-1", inputs: [randn([3, 5])], fn: ([x]) => mean(x, -1) },
  ],
  matmul: () =>
    [false, true].flatMap((ta) =>
      [false, true].map((tb) => ({
        name: `matmul transA=${ta} transB=${tb}`,
        inputs: [randn(ta ? [7, 5] : [5, 7]), randn(tb ? [3, 7] : [7, 3])],
        fn: ([a, b]: Tensor[]) => matmul(a, b, ta, tb),
      }))
    ),
  linear: () =>
    (["none", "relu", "tanh", "sigmoid"] as FusedActivation[]).flatMap((act) =>
      [true, false].map((bias) => ({
        name: `linear ${act} bias=${bias}`,
        inputs: act === "relu"
          ? [positive([4, 6]), signedRows(3, 6), ...(bias ? [randn([3], 0.1)] : [])]
          : [randn([4, 6]), randn([3, 6], 0.5), ...(bias ? [randn([3])] : [])],
        fn: ([x, w, b]: Tensor[]) => linear(x, w, b ?? null, act),
      }))
    ),
  softmax: () => [
    { name: "softmax [4,7]", inputs: [randn([4, 7])], fn: ([x]) => softmax(x) },
    { name: "logSoftmax [4,7]", inputs: [randn([4, 7])], fn: ([x]) => logSoftmax(x) },
    { name: "softmax [2,3,5]", inputs: [randn([2, 3, 5])], fn: ([x]) => softmax(x) },
    { name: "softmax [2,3,5] dim=1", inputs: [randn([2, 3, 5])], fn: ([x]) => softmax(x, 1) },
    { name: "softmax [4,3] dim=0", inputs: [randn([4, 3])], fn: ([x]) => softmax(x, 0) },
    {
      name: "logSoftmax [2,3,5] dim=-3",
      inputs: [randn([2, 3, 5])],
      fn: ([x]) => logSoftmax(x, -3),
    },
  ],
  gather: () => [
    { name: "gather [5,7]", inputs: [randn([5, 7]), classes(5, 7)], fn: ([x, i]) => gather(x, i) },
  ],
};

/** Losses, every option combination (logits [5, 4]). */
function lossChecks(): Check[] {
  const out: Check[] = [];
  for (const weighted of [false, true]) {
    for (const reduction of ["none", "mean", "sum"] as Reduction[]) {
      for (const ignore of [null, -100, 2]) {
        for (const labelSmoothing of [0, 0.1, 0.3]) {
          const weight = weighted ? fill([4], () => rng.uniformIn(0.2, 2), false) : null;
          const options = (ws: Tensor[]): CrossEntropyOptions => ({
            weight: weight ? ws[2] : null,
            reduction,
            labelSmoothing,
            ...(ignore === null ? {} : { ignoreIndex: ignore }),
          });
          const targets = classes(5, 4, ignore);
          targets.data[0] = 0; // at least one row counts
          out.push({
            name:
              `crossEntropy weight=${weighted} ${reduction} ignore=${ignore} ls=${labelSmoothing}`,
            inputs: [randn([5, 4], 2), targets, ...(weight ? [weight] : [])],
            fn: (xs) => crossEntropy(xs[0], xs[1], options(xs)),
          });
        }
      }
    }
  }
  for (const reduction of ["none", "mean", "sum"] as Reduction[]) {
    out.push({
      name: `mseLoss ${reduction}`,
      inputs: [randn([3, 5]), randn([3, 5])],
      fn: ([x, y]) => mseLoss(x, y, reduction),
    });
  }
  return out;
}

/** CReLU, SReLU (input and all four parameters) and Maxout, composed from the ops above. */
function layerChecks(): Check[] {
  const thresholds = (values: number[]): InputSpec => ({
    shape: [values.length],
    data: Float32Array.from(values),
    grad: true,
  });
  return [
    { name: "crelu", inputs: [awayFrom([2, 3, 2, 2])], fn: ([x]) => crelu(x) },
    { name: "maxout pieces=3", inputs: [spaced([2, 6, 2])], fn: ([x]) => maxout(x, 3) },
    {
      name: "srelu per channel",
      inputs: [
        avoiding([4, 3, 2], [-1, -0.5, 0, 0.5, 1, 1.5], -3, 3),
        thresholds([-1, -0.5, 0]),
        randn([3], 0.5),
        thresholds([1, 0.5, 1.5]),
        randn([3], 0.5),
      ],
      fn: ([x, tLeft, aLeft, tRight, aRight]) => srelu(x, { tLeft, aLeft, tRight, aRight }),
    },
  ];
}

/**
 * Runs one check; returns failure messages and the worst |AD − FD| / tolerance ratio.
 */
export async function gradcheck(
  backend: Backend,
  check: Check,
  slack = 1,
): Promise<{ failures: string[]; worst: number }> {
  const make = (datas: Float32Array[]) =>
    check.inputs.map((s, i) => tensor(backend, datas[i], s.shape, s.grad));
  const base = check.inputs.map((s) => s.data);
  const probe = noGrad(() => check.fn(make(base)));
  const g = Float32Array.from({ length: probe.size }, () => rng.normal());
  // Every evaluation is recorded first and all are read back at once: on a GPU each
  // read-back waits out the same map latency, so issued together they overlap.
  const f = (datas: Float32Array[]) => noGrad(() => check.fn(make(datas))).toArray();
  const xs = make(base);
  const out = check.fn(xs);
  backward(sum(mul(out, tensor(backend, g, out.shape))));

  /** One direction of one input: its four stencil evaluations and the direction they span. */
  const probes: { k: number; r: number; d: Float64Array; fs: Promise<Float32Array>[] }[] = [];
  for (let k = 0; k < xs.length; k++) {
    if (!check.inputs[k].grad) continue;
    const n = base[k].length;
    for (let r = 0; r < DIRECTIONS; r++) {
      const v = Float64Array.from({ length: n }, () => rng.normal());
      // The four float32 points x ± εv, x ± 2εv, and the direction they really span.
      const at = (h: number) => {
        const datas = base.slice();
        datas[k] = Float32Array.from(base[k], (x, i) => x + h * EPS * v[i]);
        return datas;
      };
      const points = [at(1), at(-1), at(2), at(-2)];
      const [p1, m1, p2, m2] = points.map((datas) => datas[k]);
      const d = Float64Array.from(
        { length: n },
        (_, i) => (8 * (p1[i] - m1[i]) - (p2[i] - m2[i])) / (12 * EPS),
      );
      probes.push({ k, r, d, fs: points.map(f) });
    }
  }
  // No gradient (sign, gt) means a zero gradient.
  const grads = xs.map((x, k) =>
    x.grad ? x.grad.toArray() : Promise.resolve(new Float32Array(base[k].length))
  );
  const [y0, ...gradValues] = await Promise.all([probe.toArray(), ...grads]);
  const evaluations = await Promise.all(probes.map((p) => Promise.all(p.fs)));
  const dot = (y: Float32Array) => {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i] * g[i];
    return s;
  };

  let magnitude = 0;
  for (let i = 0; i < y0.length; i++) magnitude += Math.abs(y0[i] * g[i]);
  // The stencil's weights sum to 18/12 in absolute value; each f is off by ≤ NOISE_ULPS.
  const noise = 1.5 * NOISE_ULPS * F32_EPS * magnitude / EPS;

  const failures: string[] = [];
  let worst = 0;
  for (const [j, { k, r, d }] of probes.entries()) {
    const grad = gradValues[k];
    let ad = 0, scale = 0;
    for (let i = 0; i < d.length; i++) {
      ad += grad[i] * d[i];
      scale += Math.abs(grad[i] * d[i]);
    }
    const [fp1, fm1, fp2, fm2] = evaluations[j].map(dot);
    const fd = (8 * (fp1 - fm1) - (fp2 - fm2)) / (12 * EPS);
    const tol = slack * (RTOL * scale + noise + ATOL);
    const ratio = Math.abs(ad - fd) / tol;
    worst = Math.max(worst, Number.isNaN(ratio) ? Infinity : ratio);
    if (!(ratio <= 1)) {
      failures.push(
        `${check.name}: input ${k}, direction ${r}: autograd ${ad}, finite difference ${fd} ` +
          `(|diff| ${Math.abs(ad - fd).toExponential(2)} > ${tol.toExponential(2)})`,
      );
    }
  }
  backend.endStep();
  return { failures, worst };
}

async function runChecks(bt: BackendUnderTest, list: Check[]): Promise<void> {
  const backend = await bt.create!();
  try {
    const failures: string[] = [];
    let worst = 0;
    for (const c of list) {
      const r = await gradcheck(backend, c, bt.gradcheckSlack);
      failures.push(...r.failures);
      worst = Math.max(worst, r.worst);
    }
    if (Deno.env.get("GOLDEN_VERBOSE")) {
      console.log(`${bt.name}: worst ${worst.toFixed(3)} of the tolerance`);
    }
    assert(failures.length === 0, failures.join("\n"));
  } finally {
    backend.destroy();
  }
}

const backends = await backendsUnderTest();
describeBackends("gradcheck_test.ts", backends);

for (const bt of runnableBackends("gradcheck", backends)) {
  const gpu = bt.name !== "cpu";
  // Iterating opTable's keys (not checks') makes a new op without a gradcheck fail here.
  for (const key of Object.keys(opTable)) {
    Deno.test({
      name: `gradcheck ${bt.name}: opTable.${key}`,
      sanitizeResources: !gpu,
      sanitizeOps: !gpu,
      async fn() {
        reseed(key);
        const make = (checks as Record<string, (() => Check[]) | undefined>)[key];
        assert(make, `opTable.${key} has no gradcheck: add one to gradcheck_test.ts`);
        const list = make();
        assert(list.length > 0, `opTable.${key}: empty check list`);
        await runChecks(bt, list);
      },
    });
  }
  Deno.test({
    name: `gradcheck ${bt.name}: crossEntropy (every option) and mseLoss`,
    sanitizeResources: !gpu,
    sanitizeOps: !gpu,
    fn: () => {
      reseed("losses");
      return runChecks(bt, lossChecks());
    },
  });
  Deno.test({
    name: `gradcheck ${bt.name}: CReLU, SReLU and Maxout`,
    sanitizeResources: !gpu,
    sanitizeOps: !gpu,
    fn: () => {
      reseed("layers");
      return runChecks(bt, layerChecks());
    },
  });
}

Deno.test("gradcheck: every elementwise op is either checked or declared backward-only", () => {
  const unchecked = (Object.keys(binaryOps) as BinaryOpName[])
    .filter((op) => !backwardOnlyBinary.has(op))
    .filter((op) => !checks.binary().some((c) => c.name.startsWith(`binary ${op} `)));
  assertEquals(unchecked, []);
  assertEquals(Object.keys(unaryInputs).sort(), Object.keys(unaryOps).sort());
});

Deno.test("gradcheck: backward-only binary ops give no gradient", () => {
  const b = createCpuBackend();
  for (const op of backwardOnlyBinary) {
    const x = tensor(b, [0.5, -0.5], [2], true), y = tensor(b, [0.25, 2], [2], true);
    backward(sum(binary(op, x, y)));
    assertEquals([x.grad, y.grad], [null, null], `${op} should not produce gradients`);
  }
});

Deno.test("gradcheck: a gradient that is 1% wrong fails", async () => {
  reseed("self-test");
  const b = createCpuBackend();
  const square = {
    forward: ([x]: readonly Tensor[]) => ({
      storage: x.backend.unary("square", x.storage),
      shape: x.shape,
    }),
    vjp: (
      g: Tensor,
      _y: Tensor,
      [x]: readonly Tensor[],
    ) => [mul(g, apply("affine", opTable.affine, [x], [2.02, 0] as const))],
  };
  const inputs = [randn([4, 5])];
  const wrong = await gradcheck(b, {
    name: "square with 2.02x",
    inputs,
    fn: ([x]) => apply("sq", square, [x], undefined),
  });
  assert(
    wrong.failures.length === DIRECTIONS,
    `expected a failure per direction, got ${wrong.failures}`,
  );
  const right = await gradcheck(b, { name: "square", inputs, fn: ([x]) => unary("square", x) });
  assertEquals(right.failures, []);
});
