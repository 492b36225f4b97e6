/**
 * Elementwise functions the loss catalogue needs and the op table lacks (clamp, minimum,
 * softplus, x·log x, a custom gradient), each composed from the primitive ops so that it
 * runs and differentiates on every backend. Where PyTorch's gradient at a kink or tie is
 * a convention, the composition reproduces that convention; the comments say how.
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import {
  add,
  affine,
  binary,
  log,
  mul,
  neg,
  relu,
  reshape,
  scale,
  sigmoid,
  sub,
  unary,
} from "../ops.ts";
import { full, type Tensor } from "../tensor.ts";

/** `|x|`, with gradient `sign(x)` (0 at 0, like PyTorch). */
export function abs(x: Tensor): Tensor {
  return unary("abs", x);
}

/** `1` where `x == value`, else `0` (no gradient). */
export function isEqual(x: Tensor, value: number): Tensor {
  return binary("eq", x, full(x.backend, [], value));
}

// `1` where `x ≥ c`, else `0` (no gradient).
function atLeast(x: Tensor, c: number): Tensor {
  return affine(unary("gt", neg(x), -c), -1, 1);
}

/**
 * `max(x, c)` with `torch.clamp_min`'s gradient: 1 where `x ≥ c` (ties included), else 0.
 * A 0/1 select rather than `relu(x − c) + c`, so kept values are exact; `x` must be finite.
 */
export function clampMin(x: Tensor, c: number): Tensor {
  const keep = atLeast(x, c);
  return add(mul(x, keep), affine(keep, -c, c));
}

/**
 * Elementwise minimum with `torch.minimum`'s gradient: the smaller input gets it all, and
 * on ties each gets half. Exact for finite inputs (a 0, ½, 1 weighted select).
 */
export function minimum(a: Tensor, b: Tensor): Tensor {
  const diff = noGrad(() => sub(a, b));
  const toB = add(unary("gt", diff, 0), scale(isEqual(diff, 0), 0.5));
  return add(mul(a, affine(toB, -1, 1)), mul(b, toB));
}

/**
 * `log(1 + eˣ)` without overflow, as `relu(x) − log σ(|x|)`. `|x|` is written
 * `2·relu(x) − x` so that the gradient at 0 is σ(0) = ½ (a plain `abs` would give 0 there).
 */
export function softplus(x: Tensor): Tensor {
  const r = relu(x);
  return sub(r, log(sigmoid(sub(scale(r, 2), x))));
}

/** `log σ(x) = −softplus(−x)`, stable for any `x` (like `F.logsigmoid`). */
export function logSigmoid(x: Tensor): Tensor {
  return neg(softplus(neg(x)));
}

/** `x·log x` with the limit 0 at `x = 0` (`torch.xlogy(x, x)`). */
export function xlogx(x: Tensor): Tensor {
  return mul(x, log(add(x, isEqual(x, 0))));
}

// The same values as `x`, cut off from the graph (`Tensor.detach()`).
function detach(x: Tensor): Tensor {
  return noGrad(() => reshape(x, x.shape));
}

/**
 * A tensor whose value is `value` and whose gradient with respect to `x` is `slope·g`
 * (identity when `slope` is omitted), for the few places where PyTorch's backward is not
 * the derivative of its forward (a clamp applied under `no_grad`, BCE's ε-guarded
 * derivative). The added term is `x·slope − detach(x·slope)`, exactly 0 when finite.
 */
export function withGradient(value: Tensor, x: Tensor, slope?: Tensor): Tensor {
  const path = slope ? mul(x, slope) : x;
  return add(value, sub(path, detach(path)));
}
