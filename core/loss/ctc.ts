/**
 * Connectionist temporal classification loss (`torch.nn.CTCLoss`): the negative
 * log-likelihood of a target sequence summed over every alignment of it to the input
 * steps, for per-step log-probabilities `[T, N, C]`.
 *
 * It is one differentiable op built from the backend's primitives, so it runs on every
 * backend. Forward is the alpha recursion over the target with blanks interleaved (length
 * L = 2S + 1), in probability space and normalised at every step (Rabiner's scaling: the
 * log-likelihood is the sum of the logs of the scale factors); backward is the same
 * scaled recursion run back (beta), whose product with alpha gives each step's posterior
 * over target positions. Per step, the three transitions (stay, advance, skip a blank
 * between different labels) are two products with constant 0/1 `[L, L]` shift matrices
 * and a 0/1 skip mask. The per-step probabilities of each sample's extended target are
 * gathered for all steps at once by one product with a constant 0/1 matrix
 * `[N·C, N·L]` (so memory grows with N²·C·L), each step's row starting at an offset the
 * backend can view. Targets and lengths are host integers: they shape the recursion,
 * so they must be known before any kernel runs, and nothing is read back.
 *
 * Probabilities below float32's range (log-probabilities under about −87 on every
 * position still reachable at some step) count as 0, where PyTorch's log-space
 * recursion would still give a finite, very large loss.
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import type { Backend } from "../backend.ts";
import { ShapeError } from "../errors.ts";
import {
  add,
  affine,
  apply,
  binary,
  div,
  exp,
  log,
  matmul,
  mean,
  mul,
  neg,
  type OpDef,
  reshape,
  sub,
  sum,
} from "../ops.ts";
import { Tensor, tensor } from "../tensor.ts";
import { requireArgument } from "./check.ts";
import { reduce, type Reduction } from "./reduction.ts";

/** Options of {@link ctcLoss}, named as in PyTorch. */
export interface CtcOptions {
  /** The blank class (default 0). */
  blank?: number;
  /** Default `mean`: each loss divided by its target length, then averaged over the batch. */
  reduction?: Reduction;
  /** Replace infinite losses (no alignment fits) and their gradients by 0 (default false). */
  zeroInfinity?: boolean;
}

/**
 * Targets as PyTorch takes them: padded, one row of at least `targetLengths[n]` class
 * indices per sample (`[N, S]`), or all target sequences concatenated (1-D).
 */
export type CtcTargets = readonly ArrayLike<number>[] | ArrayLike<number>;

/**
 * CTC loss of `logProbs` `[T, N, C]` (log-softmax outputs over C classes for T steps of N
 * sequences) against `targets`, using the first `inputLengths[n]` steps of sample n.
 * `none` gives one loss per sample `[N]`; `mean` divides each by its target length (at
 * least 1) and averages; `sum` adds them. A sample that no alignment fits has an infinite
 * loss and NaN gradients, or 0 for both with `zeroInfinity`. Input lengths are 1..T and
 * labels are classes other than the blank (errors otherwise).
 *
 * Like PyTorch's, the gradient with respect to `logProbs` is `exp(logProbs) − posterior`
 * on each sample's first `inputLengths[n]` steps (0 after): the gradient through the
 * log-softmax that made `logProbs`, whose own backward removes the `exp` term.
 *
 * @example
 * ```ts
 * import { createCpuBackend, ctcLoss, logSoftmax, tensor } from "../../mod.ts";
 * const b = createCpuBackend();
 * // Uniform over {blank, 1} for 2 steps: the target [1] has 3 alignments of 4.
 * const logProbs = logSoftmax(tensor(b, [0, 0, 0, 0], [2, 1, 2]));
 * const loss = ctcLoss(logProbs, [[1]], [2], [1], { reduction: "sum" });
 * console.log((await loss.toArray())[0].toFixed(4)); // "0.2877" (−log ¾)
 * ```
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: CtcTargets,
  inputLengths: ArrayLike<number>,
  targetLengths: ArrayLike<number>,
  options: CtcOptions = {},
): Tensor {
  const { blank = 0, reduction = "mean", zeroInfinity = false } = options;
  const plan = planCtc(logProbs.shape, targets, inputLengths, targetLengths, blank);
  requireArgument(
    "ctcLoss",
    "reduction",
    ["none", "mean", "sum"].includes(reduction),
    `must be none, mean or sum, got ${reduction}`,
  );
  const losses = apply("ctcLoss", ctcOp(plan, zeroInfinity), [logProbs], undefined);
  if (reduction !== "mean") return reduce(losses, reduction);
  const perLength = plan.targets.map((t) => 1 / Math.max(t.length, 1));
  return mean(mul(losses, tensor(logProbs.backend, perLength, [plan.n])));
}

/** The host-side description of one batch: sizes and each sample's lengths and labels. */
interface CtcPlan {
  /** Steps `T`, batch `N`, classes `C`. */
  readonly t: number;
  readonly n: number;
  readonly c: number;
  readonly blank: number;
  readonly inputLengths: readonly number[];
  /** Each sample's target labels. */
  readonly targets: readonly (readonly number[])[];
  /** Positions of the longest extended target, 2·max S + 1. */
  readonly width: number;
  /** Steps the recursion runs: the longest input. */
  readonly steps: number;
}

/** Checks every argument (a one-line error naming it) and splits the targets per sample. */
function planCtc(
  shape: readonly number[],
  targets: CtcTargets,
  inputLengths: ArrayLike<number>,
  targetLengths: ArrayLike<number>,
  blank: number,
): CtcPlan {
  if (shape.length !== 3) {
    throw new ShapeError("ctcLoss", `expected log_probs [T, N, C], got [${shape}]`);
  }
  const [t, n, c] = shape;
  const check = (name: string, ok: boolean, expected: string) =>
    requireArgument("ctcLoss", name, ok, expected);
  const isIndex = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  check("blank", isIndex(blank, 0, c - 1), `must be in 0..${c - 1}, got ${blank}`);
  const lengths = (name: string, values: ArrayLike<number>, lo: number, hi: number) => {
    check(name, values.length === n, `must have N = ${n} entries, got ${values.length}`);
    const list = Array.from(values);
    const bad = list.findIndex((v) => !isIndex(v, lo, hi));
    check(`${name}[${bad}]`, bad < 0, `must be an integer in ${lo}..${hi}, got ${list[bad]}`);
    return list;
  };
  const inputs = lengths("inputLengths", inputLengths, 1, t);
  const padded = targets.length > 0 && typeof targets[0] !== "number";
  let split: number[][];
  if (padded) {
    const rows = targets as readonly ArrayLike<number>[];
    check("targets", rows.length === n, `must have N = ${n} rows when padded, got ${rows.length}`);
    const lens = lengths("targetLengths", targetLengths, 0, Math.max(...rows.map((r) => r.length)));
    const short = lens.findIndex((len, k) => len > rows[k].length);
    check(
      `targetLengths[${short}]`,
      short < 0,
      `must be at most the ${rows[short]?.length} labels of targets row ${short}, got ${
        lens[short]
      }`,
    );
    split = lens.map((len, k) => Array.from(rows[k]).slice(0, len));
  } else {
    const flat = Array.from(targets as ArrayLike<number>);
    const lens = lengths("targetLengths", targetLengths, 0, flat.length);
    const total = lens.reduce((a, b) => a + b, 0);
    check(
      "targets",
      total === flat.length,
      `must hold sum(targetLengths) = ${total} labels when concatenated, got ${flat.length}`,
    );
    let at = 0;
    split = lens.map((len) => flat.slice(at, at += len));
  }
  split.forEach((labels, k) => {
    const bad = labels.findIndex((v) => !isIndex(v, 0, c - 1) || v === blank);
    check(
      `targets of sample ${k}`,
      bad < 0,
      `must be classes in 0..${c - 1} other than the blank ${blank}, got ${
        labels[bad]
      } at position ${bad}`,
    );
  });
  const longest = Math.max(...split.map((l) => l.length));
  return {
    t,
    n,
    c,
    blank,
    inputLengths: inputs,
    targets: split,
    width: 2 * longest + 1,
    steps: Math.max(...inputs),
  };
}

/**
 * The op: `[T, N, C]` log-probabilities to `[N]` losses. Forward keeps what backward
 * needs (each step's normalised alpha, the emission rows) in a closure.
 */
function ctcOp(plan: CtcPlan, zeroInfinity: boolean): OpDef<undefined> {
  let saved: ForwardState | null = null;
  return {
    forward: ([logProbs]) =>
      noGrad(() => {
        saved = forwardPass(plan, logProbs, zeroInfinity);
        return { storage: saved.losses.storage, shape: [plan.n] };
      }),
    vjp: (g, _y, [logProbs]) => [backwardPass(plan, logProbs, saved!, g, zeroInfinity)],
  };
}

/** Constant 0/1 tensors of one batch, built on the host. */
interface Constants {
  /** Row stride of the emission and posterior matrices: N·L rounded up to a view offset. */
  readonly stride: number;
  /** `[N·C, stride]`: column n·L + s picks class `ext(n, s)` of sample n. */
  readonly pick: Tensor;
  /** `[L, L]`: `x·stay` is x[s] + x[s−1]; `x·skip` is x[s−2]. */
  readonly stay: Tensor;
  readonly skip: Tensor;
  /** `[N, L]`: where the skip from s−2 is allowed (different labels). */
  readonly skipAllowed: Tensor;
  /** `[N, L]`: the last label and the blank after it, where alignments end. */
  readonly ends: readonly (readonly number[])[];
}

interface ForwardState {
  readonly constants: Constants;
  /** `exp(logProbs)` as `[T, N·C]`. */
  readonly probs: Tensor;
  /** Emission probabilities `[T, stride]`, 1 on valid positions after a sample's input ends. */
  readonly emissions: Tensor;
  /** Normalised alpha of each step, `[N, L]`. */
  readonly alphas: Tensor[];
  /** 1 where a sample's loss is infinite, else 0 (`[N, 1]`). */
  readonly infinite: Tensor;
  readonly losses: Tensor;
}

function buildConstants(plan: CtcPlan, b: Backend): Constants {
  const { n, c, width: l, blank } = plan;
  const stride = Math.ceil((n * l) / b.viewAlignment) * b.viewAlignment;
  const pick = new Float32Array(n * c * stride);
  const skipAllowed = new Float32Array(n * l);
  const ext = (k: number, s: number) => (s % 2 === 0 ? blank : plan.targets[k][(s - 1) / 2]);
  plan.targets.forEach((labels, k) => {
    for (let s = 0; s < 2 * labels.length + 1; s++) {
      pick[(k * c + ext(k, s)) * stride + k * l + s] = 1;
      if (s >= 2 && ext(k, s) !== ext(k, s - 2)) skipAllowed[k * l + s] = 1;
    }
  });
  const shift = (by: number) => {
    const m = new Float32Array(l * l);
    for (let s = by; s < l; s++) m[(s - by) * l + s] = 1;
    return m;
  };
  const stay = shift(1);
  for (let s = 0; s < l; s++) stay[s * l + s] = 1;
  return {
    stride,
    pick: tensor(b, pick, [n * c, stride]),
    stay: tensor(b, stay, [l, l]),
    skip: tensor(b, shift(2), [l, l]),
    skipAllowed: tensor(b, skipAllowed, [n, l]),
    ends: plan.targets.map((labels) =>
      labels.length ? [2 * labels.length - 1, 2 * labels.length] : [0]
    ),
  };
}

/** An `[N, L]` 0/1 mask with `positions(k)` set in sample k's row. */
function mask(plan: CtcPlan, b: Backend, positions: (k: number) => readonly number[]): Tensor {
  const m = new Float32Array(plan.n * plan.width);
  for (let k = 0; k < plan.n; k++) for (const s of positions(k)) m[k * plan.width + s] = 1;
  return tensor(b, m, [plan.n, plan.width]);
}

/** An `[N, 1]` column of `f(k)`. */
function column(plan: CtcPlan, b: Backend, f: (k: number) => number): Tensor {
  return tensor(b, Array.from({ length: plan.n }, (_, k) => f(k)), [plan.n, 1]);
}

/** Positions `0..2·S_k` of sample k's extended target. */
function validPositions(plan: CtcPlan, k: number): number[] {
  return Array.from({ length: 2 * plan.targets[k].length + 1 }, (_, s) => s);
}

/** Row `t` of a `[rows, stride]` matrix as `[N, L]`, without a copy. */
function row(m: Tensor, stride: number, t: number, plan: CtcPlan): Tensor {
  const b = m.backend;
  return new Tensor(b, b.view(m.storage, t * stride, plan.n * plan.width), [plan.n, plan.width]);
}

/** `x / rowSum(x)`, and the row sums `[N, 1]`. */
function normalise(x: Tensor): { x: Tensor; scale: Tensor } {
  const scale = sum(x, 1, true);
  return { x: div(x, scale), scale };
}

function forwardPass(plan: CtcPlan, logProbs: Tensor, zeroInfinity: boolean): ForwardState {
  const b = logProbs.backend;
  const { n, c, steps } = plan;
  const k = buildConstants(plan, b);
  const probs = exp(reshape(logProbs, [plan.t, n * c]));
  let emissions = matmul(probs, k.pick);
  // After its input ends a sample sees emissions of 1, which keeps its (unused) alpha finite.
  if (plan.inputLengths.some((len) => len < steps)) {
    const active = new Float32Array(plan.t * k.stride), after = new Float32Array(plan.t * k.stride);
    for (let t = 0; t < plan.t; t++) {
      for (let j = 0; j < n; j++) {
        const at = t * k.stride + j * plan.width;
        if (t < plan.inputLengths[j]) active.fill(1, at, at + plan.width);
        else after.fill(1, at, at + 2 * plan.targets[j].length + 1);
      }
    }
    const shape = [plan.t, k.stride];
    emissions = add(mul(emissions, tensor(b, active, shape)), tensor(b, after, shape));
  }
  // Each step's scale factors, one row per step padded to a view offset (1 where unused, so
  // its log is 0).
  const nStride = Math.ceil(n / b.viewAlignment) * b.viewAlignment;
  const scales = affine(new Tensor(b, b.zeros(steps * nStride), [steps, nStride]), 0, 1);
  const alphas: Tensor[] = [];
  const starts = mask(plan, b, (j) => (plan.targets[j].length ? [0, 1] : [0]));
  let alpha = mul(starts, row(emissions, k.stride, 0, plan));
  for (let t = 0; t < steps; t++) {
    if (t > 0) {
      const moved = add(matmul(alpha, k.stay), mul(matmul(alpha, k.skip), k.skipAllowed));
      alpha = mul(moved, row(emissions, k.stride, t, plan));
    }
    const { x, scale } = normalise(alpha);
    alpha = x;
    alphas.push(alpha);
    b.copy(b.view(scales.storage, t * nStride, n), scale.storage);
  }
  // Sum of log scale factors over each sample's own steps, and its final alpha at the ends.
  const own = new Float32Array(steps * nStride);
  plan.inputLengths.forEach((len, j) => {
    for (let t = 0; t < len; t++) own[t * nStride + j] = 1;
  });
  const logScale = sum(mul(log(scales), tensor(b, own, [steps, nStride])), 0);
  let endMass: Tensor | null = null;
  for (const last of new Set(plan.inputLengths.map((len) => len - 1))) {
    const ending = mask(plan, b, (j) => (plan.inputLengths[j] - 1 === last ? k.ends[j] : []));
    const mass = sum(mul(alphas[last], ending), 1, true);
    endMass = endMass ? add(endMass, mass) : mass;
  }
  const logLikelihood = new Tensor(b, b.view(logScale.storage, 0, n), [n, 1]);
  const infinite = binary("eq", endMass!, tensor(b, [0], [1]));
  let losses = neg(add(logLikelihood, log(zeroInfinity ? add(endMass!, infinite) : endMass!)));
  if (zeroInfinity) losses = mul(losses, affine(infinite, -1, 1));
  return {
    constants: k,
    probs,
    emissions,
    alphas,
    infinite,
    losses: reshape(losses, [n]),
  };
}

function backwardPass(
  plan: CtcPlan,
  logProbs: Tensor,
  saved: ForwardState,
  g: Tensor,
  zeroInfinity: boolean,
): Tensor {
  const b = logProbs.backend;
  const { n, c, steps } = plan;
  const k = saved.constants;
  const posteriors = new Tensor(b, b.zeros(plan.t * k.stride), [plan.t, k.stride]);
  const inputs = plan.inputLengths;
  const valid = (j: number) => validPositions(plan, j);
  let beta: Tensor | null = null;
  for (let t = steps - 1; t >= 0; t--) {
    // What reaches the end from position s at step t, before step t's emission: the ends
    // themselves at a sample's last step, every valid position after it (finite, unused).
    const restart = inputs.some((len) => t >= len - 1);
    let next: Tensor;
    if (beta) {
      const back = add(
        matmul(beta, k.stay, false, true),
        matmul(mul(beta, k.skipAllowed), k.skip, false, true),
      );
      next = restart
        ? add(
          mul(back, column(plan, b, (j) => (t < inputs[j] - 1 ? 1 : 0))),
          mask(plan, b, (j) => (t === inputs[j] - 1 ? k.ends[j] : t >= inputs[j] ? valid(j) : [])),
        )
        : back;
    } else {
      next = mask(plan, b, (j) => (t === inputs[j] - 1 ? k.ends[j] : valid(j)));
    }
    const joint = mul(saved.alphas[t], next);
    // An infeasible sample has no joint mass: with the infinity flag added its posterior
    // is 0 rather than 0/0, which would spread NaN to every sample through the product below.
    let posterior = div(joint, add(sum(joint, 1, true), saved.infinite));
    if (inputs.some((len) => t >= len)) {
      posterior = mul(posterior, column(plan, b, (j) => (t < inputs[j] ? 1 : 0)));
    }
    b.copy(b.view(posteriors.storage, t * k.stride, n * plan.width), posterior.storage);
    if (t > 0) beta = normalise(mul(next, row(saved.emissions, k.stride, t, plan))).x;
  }
  const active = new Float32Array(plan.t * n);
  inputs.forEach((len, j) => {
    for (let t = 0; t < len; t++) active[t * n + j] = 1;
  });
  const perClass = reshape(matmul(posteriors, k.pick, false, true), [plan.t, n, c]);
  const probs = mul(reshape(saved.probs, [plan.t, n, c]), tensor(b, active, [plan.t, n, 1]));
  let grad = mul(sub(probs, perClass), reshape(g, [1, n, 1]));
  const flag = reshape(saved.infinite, [1, n, 1]);
  if (zeroInfinity) return mul(grad, affine(flag, -1, 1));
  // PyTorch's gradient of an infinite loss is NaN on the sample's own steps: log(1 − 1) is
  // −∞ there, and −∞ − (−∞) is NaN; elsewhere this adds 0 − 0.
  const hole = log(affine(mul(flag, tensor(b, active, [plan.t, n, 1])), -1, 1));
  grad = add(grad, sub(hole, hole));
  return grad;
}
