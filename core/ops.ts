/**
 * The differentiable op table. Each entry is a forward (one or two backend calls) and a
 * vector-Jacobian product written with other ops, so gradients run on any backend and can
 * themselves be checked. The exported functions below are the public, PyTorch-like API.
 *
 * @module
 */

import { isGradEnabled } from "./autograd.ts";
import type { FusedActivation, ReduceOp, Storage } from "./backend.ts";
import { byForwardOp } from "./activations/mod.ts";
import type { BinaryOpName, UnaryOpName } from "./elementwise.ts";
import { ShapeError } from "./errors.ts";
import { broadcastShapes, sizeOf } from "./shape.ts";
import { type GradNode, Tensor } from "./tensor.ts";

/** One differentiable op: forward on the inputs' backend, and its vector-Jacobian product. */
export interface OpDef<A> {
  forward(inputs: readonly Tensor[], attrs: A): { storage: Storage; shape: readonly number[] };
  vjp(g: Tensor, y: Tensor, inputs: readonly Tensor[], attrs: A): readonly (Tensor | null)[];
}

/** Attributes of the elementwise unary op: its name and scalar parameters. */
export interface UnaryAttrs {
  op: UnaryOpName;
  alpha: number;
  beta: number;
}
/** Attributes of the elementwise binary op: its name and scalar parameters. */
export interface BinaryAttrs {
  op: BinaryOpName;
  alpha: number;
  beta: number;
}
/** Attributes of softmax and log-softmax over one axis. */
export interface SoftmaxAttrs {
  log: boolean;
  axis: number;
}
/** Attributes of a reduction over one axis. */
export interface ReduceAttrs {
  op: ReduceOp;
  axis: number;
  keepdim: boolean;
}
/** Attributes of a 2-D matrix product. */
export interface MatmulAttrs {
  transA: boolean;
  transB: boolean;
}

/** The vector-Jacobian product of a unary op, given its output `y` and input `x`. */
type UnaryVjp = (g: Tensor, y: Tensor, x: Tensor, alpha: number, beta: number) => Tensor | null;

// An activation's vjp is its record's fused `*_grad` kernel of its input (or output) and
// the upstream gradient.
const unaryVjp: Record<UnaryOpName, UnaryVjp> = {
  neg: (g) => neg(g),
  exp: (g, y) => mul(g, y),
  log: (g, _y, x) => div(g, x),
  abs: (g, _y, x) => mul(g, unary("sign", x)),
  sign: () => null,
  sqrt: (g, y) => div(g, scale(y, 2)),
  square: (g, _y, x) => mul(g, scale(x, 2)),
  recip: (g, y) => neg(mul(g, unary("square", y))),
  relu: (g, _y, x) => binary("relu_grad", x, g),
  tanh: (g, y) => binary("tanh_grad", y, g),
  sigmoid: (g, y) => binary("sigmoid_grad", y, g),
  pow: (g, _y, x, alpha) => mul(g, scale(unary("pow", x, alpha - 1), alpha)),
  gt: () => null,
  ...byForwardOp((k) => (g, y, x, alpha, beta) =>
    binary(`${k.op}_grad` as BinaryOpName, k.gradFrom === "output" ? y : x, g, alpha, beta)
  ),
};

/** The op table: every differentiable op by name. */
export const opTable = {
  unary: {
    forward: ([x], a) => ({
      storage: x.backend.unary(a.op, x.storage, a),
      shape: x.shape,
    }),
    vjp: (g, y, [x], a) => [unaryVjp[a.op](g, y, x, a.alpha, a.beta)],
  } satisfies OpDef<UnaryAttrs>,

  binary: {
    forward: ([a, b], { op, alpha, beta }) => {
      const shape = broadcastShapes(a.shape, b.shape, op);
      return {
        storage: a.backend.binary({
          op,
          a: a.storage,
          aShape: a.shape,
          b: b.storage,
          bShape: b.shape,
          outShape: shape,
          alpha,
          beta,
        }),
        shape,
      };
    },
    vjp: (g, y, [a, b], { op }) => {
      switch (op) {
        case "add":
          return [sumTo(g, a.shape), sumTo(g, b.shape)];
        case "sub":
          return [sumTo(g, a.shape), sumTo(neg(g), b.shape)];
        case "mul":
          return [sumTo(mul(g, b), a.shape), sumTo(mul(g, a), b.shape)];
        case "div":
          return [sumTo(div(g, b), a.shape), sumTo(neg(div(mul(g, y), b)), b.shape)];
        default:
          return [null, null];
      }
    },
  } satisfies OpDef<BinaryAttrs>,

  affine: {
    forward: ([x], [m, c]) => ({ storage: x.backend.affine(x.storage, m, c), shape: x.shape }),
    vjp: (g, _y, _x, [m]) => [scale(g, m)],
  } satisfies OpDef<readonly [number, number]>,

  expand: {
    forward: ([x], shape) => ({ storage: x.backend.expand(x.storage, x.shape, shape), shape }),
    vjp: (g, _y, [x]) => [sumTo(g, x.shape)],
  } satisfies OpDef<readonly number[]>,

  reshape: {
    forward: ([x], shape) => ({ storage: x.storage, shape }),
    vjp: (g, _y, [x]) => [reshape(g, x.shape)],
  } satisfies OpDef<readonly number[]>,

  reduce: {
    forward: ([x], { op, axis, keepdim }) => {
      const [outer, len, inner] = splitAt(x.shape, axis);
      const shape = x.shape.flatMap((d, i) => (i !== axis ? [d] : keepdim ? [1] : []));
      return { storage: x.backend.reduce({ op, x: x.storage, outer, len, inner }), shape };
    },
    vjp: (g, y, [x], { op, axis }) => {
      const kept = x.shape.map((d, i) => (i === axis ? 1 : d));
      const gk = reshape(g, kept);
      if (op === "sum") return [expand(gk, x.shape)];
      // Ties share the gradient equally, like torch.amax.
      const mask = binary("eq", x, reshape(y, kept));
      const count = sum(mask, axis, true);
      return [mul(mask, div(gk, count))];
    },
  } satisfies OpDef<ReduceAttrs>,

  matmul: {
    forward: ([a, b], { transA, transB }) => {
      const [m, k] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const [k2, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
      if (a.shape.length !== 2 || b.shape.length !== 2 || k !== k2) {
        throw new ShapeError(
          "matmul",
          `cannot multiply [${a.shape}] by [${b.shape}] (transA=${transA}, transB=${transB})`,
        );
      }
      return {
        storage: a.backend.matmul({ a: a.storage, b: b.storage, m, k, n, transA, transB }),
        shape: [m, n],
      };
    },
    vjp: (g, _y, [a, b], { transA, transB }) => [
      transA ? matmul(b, g, transB, true) : matmul(g, b, false, !transB),
      transB ? matmul(g, a, true, transA) : matmul(a, g, !transA, false),
    ],
  } satisfies OpDef<MatmulAttrs>,

  linear: {
    forward: ([x, w, b], act) => {
      const [m, k] = x.shape;
      const [n, k2] = w.shape;
      if (
        x.shape.length !== 2 || w.shape.length !== 2 || k !== k2 ||
        (b && (b.shape.length !== 1 || b.shape[0] !== n))
      ) {
        throw new ShapeError(
          "linear",
          `input [${x.shape}] needs weight [N, ${k}] and bias [N], got [${w.shape}] and [${
            b?.shape ?? "none"
          }]`,
        );
      }
      return {
        storage: x.backend.linear({
          x: x.storage,
          w: w.storage,
          b: b?.storage ?? null,
          m,
          k,
          n,
          act,
        }),
        shape: [m, n],
      };
    },
    vjp: (g, y, [x, w, b], act) => {
      const [m, k] = x.shape;
      const n = w.shape[0];
      const r = x.backend.linearBackward({
        x: x.storage,
        w: w.storage,
        y: y.storage,
        gy: g.storage,
        m,
        k,
        n,
        act,
        hasBias: !!b,
        needInputGrad: x.requiresGrad,
      });
      return [
        r.gx ? new Tensor(x.backend, r.gx, x.shape) : null,
        new Tensor(x.backend, r.gw, w.shape),
        r.gb ? new Tensor(x.backend, r.gb, [n]) : null,
      ];
    },
  } satisfies OpDef<FusedActivation>,

  softmax: {
    forward: ([x], { log, axis }) => {
      const [outer, len, inner] = splitAt(x.shape, axis);
      const b = x.backend;
      if (inner === 1) {
        return {
          storage: b.softmax({ x: x.storage, rows: outer, cols: len, log }),
          shape: x.shape,
        };
      }
      // Another axis: the same max-shifted formula from primitives, on an [outer, len, inner] view.
      const full = [outer, len, inner], kept = [outer, 1, inner];
      const byRow = (op: BinaryOpName, a: Storage, rowValues: Storage) =>
        b.binary({ op, a, aShape: full, b: rowValues, bShape: kept, outShape: full });
      const top = b.reduce({ op: "max", x: x.storage, outer, len, inner });
      const shifted = byRow("sub", x.storage, top);
      const e = b.unary("exp", shifted);
      const total = b.reduce({ op: "sum", x: e, outer, len, inner });
      const storage = log ? byRow("sub", shifted, b.unary("log", total)) : byRow("div", e, total);
      return { storage, shape: x.shape };
    },
    vjp: (g, y, _x, { log, axis }) => {
      if (log) return [sub(g, mul(exp(y), sum(g, axis, true)))];
      return [mul(y, sub(g, sum(mul(g, y), axis, true)))];
    },
  } satisfies OpDef<SoftmaxAttrs>,

  gather: {
    forward: ([x, idx]) => {
      if (x.shape.length !== 2 || idx.shape.length !== 1 || idx.shape[0] !== x.shape[0]) {
        throw new ShapeError(
          "gather",
          `expected input [N, C] and indices [N], got [${x.shape}] and [${idx.shape}]`,
        );
      }
      const [rows, cols] = x.shape;
      return { storage: x.backend.gather(x.storage, idx.storage, rows, cols), shape: [rows] };
    },
    vjp: (g, _y, [x, idx]) => {
      const [rows, cols] = x.shape;
      return [
        new Tensor(x.backend, x.backend.scatter(g.storage, idx.storage, rows, cols), x.shape),
        null,
      ];
    },
  } satisfies OpDef<undefined>,
};

/** Name of an entry of {@link opTable}. */
export type OpName = keyof typeof opTable;

/** Runs op `name` on `inputs` and records its node when any input requires a gradient. */
export function apply<A>(
  name: string,
  def: OpDef<A>,
  inputs: readonly (Tensor | null)[],
  attrs: A,
): Tensor {
  const present = inputs.filter((t): t is Tensor => t !== null);
  const { storage, shape } = def.forward(inputs as Tensor[], attrs);
  const needsGrad = isGradEnabled() && present.some((t) => t.requiresGrad);
  if (!needsGrad) return new Tensor(present[0].backend, storage, shape);
  const node: GradNode = {
    op: name,
    inputs,
    backward: (g) => def.vjp(g, y, inputs as Tensor[], attrs),
  };
  const y = new Tensor(present[0].backend, storage, shape, true, node);
  return y;
}

function splitAt(shape: readonly number[], axis: number): [number, number, number] {
  if (axis < 0 || axis >= shape.length) {
    throw new ShapeError("reduce", `axis ${axis} out of range for shape [${shape}]`);
  }
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function normAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

// A reduction over every axis is a scalar, or all ones in x's rank with keepdim, like torch.
function keepAll(r: Tensor, x: Tensor, keepdim: boolean): Tensor {
  return keepdim ? reshape(r, x.shape.map(() => 1)) : r;
}

/** Sums `g` over the dimensions that broadcasting expanded, giving `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let t = g;
  const lead = g.shape.length - shape.length;
  for (let i = 0; i < lead; i++) t = sum(t, 0, false);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1 && t.shape[i] !== 1) t = sum(t, i, true);
  }
  return reshape(t, shape);
}

/** Elementwise unary op by name (see `core/elementwise.ts`) with its scalar parameters. */
export function unary(op: UnaryOpName, x: Tensor, alpha = 0, beta = 0): Tensor {
  return apply("unary", opTable.unary, [x], { op, alpha, beta });
}
/** Elementwise binary op with broadcasting, with its scalar parameters. */
export function binary(op: BinaryOpName, a: Tensor, b: Tensor, alpha = 0, beta = 0): Tensor {
  return apply("binary", opTable.binary, [a, b], { op, alpha, beta });
}
/** `a + b` with broadcasting. */
export const add = (a: Tensor, b: Tensor): Tensor => binary("add", a, b);
/** `a - b` with broadcasting. */
export const sub = (a: Tensor, b: Tensor): Tensor => binary("sub", a, b);
/** `a * b` with broadcasting. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary("mul", a, b);
/** `a / b` with broadcasting. */
export const div = (a: Tensor, b: Tensor): Tensor => binary("div", a, b);
/** `-x`. */
export const neg = (x: Tensor): Tensor => unary("neg", x);
/** `eˣ`. */
export const exp = (x: Tensor): Tensor => unary("exp", x);
/** Natural logarithm. */
export const log = (x: Tensor): Tensor => unary("log", x);
/** `max(x, 0)`. */
export const relu = (x: Tensor): Tensor => unary("relu", x);
/** Hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary("tanh", x);
/** Logistic sigmoid. */
export const sigmoid = (x: Tensor): Tensor => unary("sigmoid", x);
/** `x * mul + add` for scalars. */
export function affine(x: Tensor, mulBy: number, addTo: number): Tensor {
  return apply("affine", opTable.affine, [x], [mulBy, addTo] as const);
}
/** `x * s`. */
export const scale = (x: Tensor, s: number): Tensor => affine(x, s, 0);
/** Broadcasts `x` to `shape`. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  broadcastShapes(x.shape, shape, "expand");
  return apply("expand", opTable.expand, [x], shape);
}
/** Same data, new shape (sizes must agree); `-1` infers one dimension. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = sizeOf(shape.filter((d) => d !== -1));
  const resolved = shape.map((d) => (d === -1 ? x.size / known : d));
  if (sizeOf(resolved) !== x.size) {
    throw new ShapeError("reshape", `cannot view [${x.shape}] as [${shape}]`);
  }
  return apply("reshape", opTable.reshape, [x], resolved);
}
/** Sum over `axis` (all elements when omitted). */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return keepAll(sum(reshape(x, [x.size]), 0), x, keepdim);
  return apply("reduce", opTable.reduce, [x], {
    op: "sum",
    axis: normAxis(axis, x.shape.length),
    keepdim,
  });
}
/** Mean over `axis` (all elements when omitted). */
export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  const n = axis === undefined ? x.size : x.shape[normAxis(axis, x.shape.length)];
  return scale(sum(x, axis, keepdim), 1 / n);
}
/** Maximum over `axis` (all elements when omitted); ties share the gradient. */
export function max(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return keepAll(max(reshape(x, [x.size]), 0), x, keepdim);
  return apply("reduce", opTable.reduce, [x], {
    op: "max",
    axis: normAxis(axis, x.shape.length),
    keepdim,
  });
}
/** 2-D matrix product, either operand optionally transposed. */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  return apply("matmul", opTable.matmul, [a, b], { transA, transB });
}
/** `act(x·Wᵀ + b)` as one fused op (PyTorch's `F.linear` followed by `act`). */
export function linear(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  act: FusedActivation = "none",
): Tensor {
  return apply("linear", opTable.linear, [x, w, b], act);
}
/** Softmax over `dim` (default the last), like `F.softmax(x, dim)`. */
export function softmax(x: Tensor, dim = -1): Tensor {
  return softmaxAlong(x, dim, false);
}
/** Log-softmax over `dim` (default the last), like `F.log_softmax(x, dim)`. */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  return softmaxAlong(x, dim, true);
}
function softmaxAlong(x: Tensor, dim: number, log: boolean): Tensor {
  // Like torch, a 0-d tensor is one row of one element (dim 0 or -1).
  const rank = Math.max(x.shape.length, 1);
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) {
    throw new ShapeError(
      log ? "logSoftmax" : "softmax",
      `dim ${dim} out of range for shape [${x.shape}] (expected an integer in [${-rank}, ${
        rank - 1
      }])`,
    );
  }
  if (x.shape.length === 0) return reshape(softmaxAlong(reshape(x, [1]), 0, log), []);
  return apply("softmax", opTable.softmax, [x], { log, axis: normAxis(dim, rank) });
}
/** `out[r] = x[r, idx[r]]` for `[N, C]` x; out-of-range indices (ignore_index) give 0. */
export function gather(x: Tensor, idx: Tensor): Tensor {
  return apply("gather", opTable.gather, [x, idx], undefined);
}
/** Index of the first maximum of each row of `[N, C]` (not differentiable). */
export function argmax(x: Tensor): Tensor {
  const cols = x.shape[x.shape.length - 1];
  const rows = x.size / cols;
  return new Tensor(x.backend, x.backend.argmax(x.storage, rows, cols), x.shape.slice(0, -1));
}
