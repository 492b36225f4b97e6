/**
 * `OneCycleLR`: the 1cycle policy (Smith & Topin, 2017), with PyTorch's phases, annealing
 * and momentum cycling.
 *
 * @module
 */

import { UsageError } from "../../errors.ts";
import { LrScheduler, type LrTarget, requireOption } from "./scheduler.ts";

/** Options of {@link OneCycleLR}; give `totalSteps`, or `epochs` and `stepsPerEpoch`. */
export interface OneCycleLrOptions {
  /** Peak lr. */
  maxLr: number;
  /** Steps in the cycle. */
  totalSteps?: number;
  /** With `stepsPerEpoch`, gives `totalSteps = epochs·stepsPerEpoch`. */
  epochs?: number;
  /** See `epochs`. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the lr (default 0.3). */
  pctStart?: number;
  /** `cos` (default) or `linear`. */
  annealStrategy?: "cos" | "linear";
  /** Cycles momentum inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** Momentum at the lr's peak (default 0.85). */
  baseMomentum?: number;
  /** Momentum at the lr's ends (default 0.95). */
  maxMomentum?: number;
  /** Initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** Final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Adds a third phase: back to the initial lr, then down to the final lr (default false). */
  threePhase?: boolean;
}

/** A target whose momentum (SGD's momentum, Adam's β₁) the cycle may drive too. */
export interface MomentumTarget extends LrTarget {
  /** The momentum (or β₁) to cycle; undefined: the optimizer has none. */
  momentum?: number;
}

interface Phase {
  endStep: number;
  lr: readonly [number, number];
  momentum: readonly [number, number];
}

/**
 * Raises the lr from `maxLr/divFactor` to `maxLr`, then anneals it to
 * `maxLr/(divFactor·finalDivFactor)`, once per step (`torch.optim.lr_scheduler.OneCycleLR`).
 * With `cycleMomentum`, {@link momentum} moves the other way and is written to the
 * target's `momentum` when it has one.
 * @example
 * ```ts
 * import { OneCycleLR } from "../../../mod.ts";
 * const opt = { lr: 0 };
 * const sched = new OneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
 * console.log(opt.lr.toFixed(2)); // "0.04"
 * for (let i = 0; i < 2; i++) sched.step();
 * console.log(opt.lr); // 1
 * ```
 */
export class OneCycleLR extends LrScheduler {
  /** Steps of the whole cycle. */
  readonly totalSteps: number;
  /** The momentum for the current step (PyTorch writes it into the optimizer). */
  momentum: number;
  readonly #phases: Phase[];
  readonly #anneal: (start: number, end: number, pct: number) => number;
  readonly #cycleMomentum: boolean;

  /** Schedules `target`'s learning rate and momentum with `options`, PyTorch's arguments. */
  constructor(override readonly target: MomentumTarget, options: OneCycleLrOptions) {
    super(target);
    const {
      maxLr,
      epochs,
      stepsPerEpoch,
      pctStart = 0.3,
      annealStrategy = "cos",
      cycleMomentum = true,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
    } = options;
    const totalSteps = options.totalSteps ??
      (epochs !== undefined && stepsPerEpoch !== undefined ? epochs * stepsPerEpoch : NaN);
    const name = "OneCycleLR";
    requireOption(
      name,
      "totalSteps",
      Number.isInteger(totalSteps) && totalSteps > 0,
      "(or epochs·stepsPerEpoch) must be a positive integer",
    );
    requireOption(
      name,
      "pctStart",
      pctStart >= 0 && pctStart <= 1,
      `must be in [0, 1], got ${pctStart}`,
    );
    requireOption(
      name,
      "annealStrategy",
      annealStrategy === "cos" || annealStrategy === "linear",
      `must be cos or linear, got ${annealStrategy}`,
    );
    this.totalSteps = totalSteps;
    this.#anneal = annealStrategy === "cos" ? annealCos : annealLinear;
    this.#cycleMomentum = cycleMomentum;
    const initialLr = maxLr / divFactor;
    const minLr = initialLr / finalDivFactor;
    const rise = pctStart * totalSteps - 1;
    const [maxM, baseM] = [maxMomentum, baseMomentum];
    this.#phases = threePhase
      ? [
        { endStep: rise, lr: [initialLr, maxLr], momentum: [maxM, baseM] },
        { endStep: 2 * pctStart * totalSteps - 2, lr: [maxLr, initialLr], momentum: [baseM, maxM] },
        { endStep: totalSteps - 1, lr: [initialLr, minLr], momentum: [maxM, maxM] },
      ]
      : [
        { endStep: rise, lr: [initialLr, maxLr], momentum: [maxM, baseM] },
        { endStep: totalSteps - 1, lr: [maxLr, minLr], momentum: [baseM, maxM] },
      ];
    this.momentum = maxM;
    this.setLr(this.nextLr());
  }

  /** Advances one step; stepping past `totalSteps` is an error, as in PyTorch. */
  override step(): void {
    if (this.lastEpoch >= this.totalSteps) {
      throw new UsageError(
        "OneCycleLR",
        `tried to step ${this.lastEpoch + 1} times; totalSteps is ${this.totalSteps}`,
      );
    }
    super.step();
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    const t = this.lastEpoch, phases = this.#phases;
    // The first phase that has not ended yet; the last one extends to totalSteps.
    let i = 0;
    while (i < phases.length - 1 && t > phases[i].endStep) i++;
    const start = i === 0 ? 0 : phases[i - 1].endStep;
    const pct = (t - start) / (phases[i].endStep - start);
    if (this.#cycleMomentum) this.#setMomentum(this.#anneal(...phases[i].momentum, pct));
    return this.#anneal(...phases[i].lr, pct);
  }

  #setMomentum(m: number): void {
    this.momentum = m;
    if (typeof this.target.momentum === "number") this.target.momentum = m;
  }
}

function annealCos(start: number, end: number, pct: number): number {
  const cosOut = Math.cos(Math.PI * pct) + 1;
  return end + (start - end) / 2 * cosOut;
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}
