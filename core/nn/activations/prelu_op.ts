/**
 * PReLU as one differentiable op: `x` where `x > 0`, else `w·x`, with PyTorch's values at
 * the edges — NaN propagates, ±∞ map to ∞ and `w·(−∞)`, the input gradient at 0 is `w`,
 * and an infinite input adds nothing to the weight's gradient where it is positive.
 *
 * @module
 */

import { noGrad } from "../../autograd.ts";
import { add, affine, apply, mul, neg, type OpDef, relu, sumTo, unary } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";

// min(x, 0) as −relu(−x): 0 at +∞ (x − relu(x) would be ∞ − ∞), NaN at NaN.
const negativePart = (x: Tensor): Tensor => neg(relu(neg(x)));

const preluOp: OpDef<undefined> = {
  forward([x, w]) {
    const y = noGrad(() => add(relu(x), mul(w, negativePart(x))));
    return { storage: y.storage, shape: y.shape };
  },
  vjp(g, _y, [x, w]) {
    // Slope 1 where x > 0, w elsewhere (at 0 and NaN too, as torch's `x > 0 ? g : w·g`).
    const above = unary("gt", x, 0);
    const slope = add(above, mul(w, affine(above, -1, 1)));
    return [mul(g, slope), sumTo(mul(g, negativePart(x)), w.shape)];
  },
};

/** `x` where `x > 0`, else `w·x`; `w` broadcasts against `x`. */
export function preluOf(x: Tensor, w: Tensor): Tensor {
  return apply("prelu", preluOp, [x, w], undefined);
}
