/**
 * SReLU, the S-shaped rectified linear unit (Jin et al., 2016), with four learned
 * parameters per channel: thresholds `t_left ≤ t_right` and slopes `a_left`, `a_right`,
 *
 *     y = t_right + a_right·(x − t_right)   for x ≥ t_right
 *     y = x                                 for t_left < x < t_right
 *     y = t_left + a_left·(x − t_left)      for x ≤ t_left
 *
 * computed as `clamp(x, t_left, t_right) + a_right·relu(x − t_right) − a_left·relu(t_left − x)`
 * from ops every backend runs, so its gradients (of the input and of all four parameters)
 * need no kernel of their own. The clamp is written with ReLUs that keep ±∞ exact. The
 * pieces presume `t_left ≤ t_right`; should training push `t_left` above `t_right`, the
 * middle piece vanishes and the formula above is what runs (continuous, with both outer
 * slopes measured from their own threshold).
 *
 * Initialisation (defaults of {@link SReLUOptions}): `t_left = 0`, `a_left = 0.2`,
 * `t_right = 1`, `a_right = 1`, so a fresh SReLU is LeakyReLU(0.2), a shape known to train.
 * The paper also begins from a leaky ReLU, but holds the parameters frozen for the first
 * epochs and then sets the thresholds from the data it has seen; here all four learn from
 * the first step instead, with no data-dependent pass. `t_right = 1` sits inside the range
 * of normalised pre-activations; since `a_right` starts at 1 the right knee is invisible at
 * first, and its gradient `(x − t_right)` moves `a_right` away from 1 wherever inputs pass
 * it, after which `t_right` learns too.
 *
 * @module
 */

import { requireFinite } from "../../arg_checks.ts";
import { ShapeError, UsageError } from "../../errors.ts";
import { add, mul, relu, reshape, sub } from "../../ops.ts";
import type { Tensor } from "../../tensor.ts";
import { Activation } from "../activation.ts";
import { Parameter } from "../parameter.ts";

/** The four parameters of an SReLU, each `[1]` or `[C]` (one per channel, dim 1 of `x`). */
export interface SReLUParameters {
  /** The left threshold `t_left`, where the left slope takes over. */
  tLeft: Tensor;
  /** The slope `a_left` for `x ≤ t_left`. */
  aLeft: Tensor;
  /** The right threshold `t_right`, where the right slope takes over. */
  tRight: Tensor;
  /** The slope `a_right` for `x ≥ t_right`. */
  aRight: Tensor;
}

/**
 * SReLU of `x` with parameters `p` (see the module doc).
 * @example
 * ```ts
 * import { createCpuBackend, srelu, tensor } from "../../../mod.ts";
 * const b = createCpuBackend();
 * const one = (v: number) => tensor(b, [v], [1]);
 * const p = { tLeft: one(-1), aLeft: one(0.1), tRight: one(1), aRight: one(2) };
 * console.log(await srelu(tensor(b, [-3, 0.5, 3], [1, 3]), p).toArray()); // ≈ [-1.2, 0.5, 5]
 * ```
 */
export function srelu(x: Tensor, p: SReLUParameters): Tensor {
  const channels = x.shape.length >= 2 ? x.shape[1] : 1;
  const [tl, al, tr, ar] = [p.tLeft, p.aLeft, p.tRight, p.aRight].map((w) => {
    if (w.shape.length !== 1 || (w.size !== 1 && w.size !== channels)) {
      throw new ShapeError(
        "srelu",
        `each parameter must be [1] or [${channels}] (the channels of input [${x.shape}]), ` +
          `got [${w.shape}]`,
      );
    }
    return w.size === 1 ? reshape(w, []) : reshape(w, x.shape.map((d, i) => (i === 1 ? d : 1)));
  });
  // clamp(x, tl, tr) = tl + relu((tr − relu(tr − x)) − tl): finite at x = ±∞.
  const middle = add(tl, relu(sub(sub(tr, relu(sub(tr, x))), tl)));
  const right = mul(ar, relu(sub(x, tr)));
  const left = mul(al, relu(sub(tl, x)));
  return sub(add(middle, right), left);
}

/** Options of {@link SReLU}: the number of parameter sets and their initial values. */
export interface SReLUOptions {
  /** 1 (shared) or the number of channels, dim 1 of the input (default 1). */
  numParameters?: number;
  /** Initial left threshold (default 0). */
  tLeft?: number;
  /** Initial left slope (default 0.2). */
  aLeft?: number;
  /** Initial right threshold (default 1). */
  tRight?: number;
  /** Initial right slope (default 1). */
  aRight?: number;
}

/**
 * {@link srelu} as a layer with learned parameters `t_left`, `a_left`, `t_right`, `a_right`,
 * each `[numParameters]`.
 */
export class SReLU extends Activation {
  /** Not fusable into a preceding Linear. */
  readonly fused = null;
  /** The learned left thresholds, `[numParameters]` (state-dict name `t_left`). */
  readonly tLeft: Parameter;
  /** The learned left slopes, `[numParameters]` (state-dict name `a_left`). */
  readonly aLeft: Parameter;
  /** The learned right thresholds, `[numParameters]` (state-dict name `t_right`). */
  readonly tRight: Parameter;
  /** The learned right slopes, `[numParameters]` (state-dict name `a_right`). */
  readonly aRight: Parameter;

  /**
   * A layer with `numParameters` sets of parameters, filled with the initial values of
   * `options`; a UsageError when `numParameters` is not a positive integer, an initial
   * value is not finite, or `tLeft > tRight`.
   *
   * @example
   * ```ts
   * import { bindParameters, createCpuBackend, SReLU, tensor } from "../../../mod.ts";
   * const b = createCpuBackend();
   * const act = new SReLU({ numParameters: 2 });
   * bindParameters(b, act.namedParameters());
   * console.log(await act.forward(tensor(b, [-1, 3], [1, 2])).toArray()); // ≈ [-0.2, 3]
   * ```
   */
  constructor(options: SReLUOptions = {}) {
    super();
    const n = options.numParameters ?? 1;
    if (!Number.isInteger(n) || n < 1) {
      throw new UsageError("SReLU", `num_parameters must be a positive integer, got ${n}`);
    }
    const init = (name: string, value: number) => {
      requireFinite("SReLU", name, value);
      return this.registerParameter(name, new Parameter([n], new Float32Array(n).fill(value)));
    };
    const tl = options.tLeft ?? 0, tr = options.tRight ?? 1;
    if (tl > tr) {
      throw new UsageError("SReLU", `t_left must be ≤ t_right, got ${tl} and ${tr}`);
    }
    this.tLeft = init("t_left", tl);
    this.aLeft = init("a_left", options.aLeft ?? 0.2);
    this.tRight = init("t_right", tr);
    this.aRight = init("a_right", options.aRight ?? 1);
  }

  /** {@link srelu} of `x` with this layer's parameters, per channel of dim 1 or shared. */
  forward(x: Tensor): Tensor {
    return srelu(x, {
      tLeft: this.tLeft.value,
      aLeft: this.aLeft.value,
      tRight: this.tRight.value,
      aRight: this.aRight.value,
    });
  }
}
