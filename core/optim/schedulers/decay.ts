/**
 * Multiplicative decay schedules: `StepLR`, `MultiStepLR` and `ExponentialLR`.
 *
 * @module
 */

import { LrScheduler, type LrTarget, requireOption } from "./scheduler.ts";

/** Options of {@link StepLR}. */
export interface StepLrOptions {
  /** Epochs between two decays. */
  stepSize: number;
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Options of {@link MultiStepLR}. */
export interface MultiStepLrOptions {
  /** Epochs at which to decay; a repeated milestone decays once per occurrence. */
  milestones: readonly number[];
  /** Decay factor (default 0.1). */
  gamma?: number;
}

/** Options of {@link ExponentialLR}. */
export interface ExponentialLrOptions {
  /** Decay factor per epoch. */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs (`torch.optim.lr_scheduler.StepLR`).

 * @example
 * ```ts
 * import { StepLR } from "../../../mod.ts";
 * const opt = { lr: 0.1 };
 * const sched = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
 * sched.step();
 * sched.step();
 * console.log(opt.lr); // 0.05
 * ```
 */
export class StepLR extends LrScheduler {
  /** Steps between decays. */
  readonly stepSize: number;
  /** Decay factor. */
  readonly gamma: number;

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: StepLrOptions) {
    super(target);
    const { stepSize, gamma = 0.1 } = options;
    requireOption(
      "StepLR",
      "stepSize",
      Number.isInteger(stepSize) && stepSize > 0,
      "must be a positive integer",
    );
    this.stepSize = stepSize;
    this.gamma = gamma;
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    const lr = this.target.lr;
    return this.lastEpoch % this.stepSize === 0 ? lr * this.gamma : lr;
  }
}

/**
 * Multiplies the lr by `gamma` at each milestone (`torch.optim.lr_scheduler.MultiStepLR`).

 * @example
 * ```ts
 * import { MultiStepLR } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * const sched = new MultiStepLR(opt, { milestones: [1, 3], gamma: 0.5 });
 * for (let i = 0; i < 3; i++) sched.step();
 * console.log(opt.lr); // 0.25
 * ```
 */
export class MultiStepLR extends LrScheduler {
  /** Decay factor. */
  readonly gamma: number;
  readonly #counts = new Map<number, number>();

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: MultiStepLrOptions) {
    super(target);
    const { milestones, gamma = 0.1 } = options;
    for (const m of milestones) this.#counts.set(m, (this.#counts.get(m) ?? 0) + 1);
    this.gamma = gamma;
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    const count = this.#counts.get(this.lastEpoch);
    return count === undefined ? this.target.lr : this.target.lr * this.gamma ** count;
  }
}

/**
 * Multiplies the lr by `gamma` every epoch (`torch.optim.lr_scheduler.ExponentialLR`).

 * @example
 * ```ts
 * import { ExponentialLR } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * new ExponentialLR(opt, { gamma: 0.5 }).step();
 * console.log(opt.lr); // 0.5
 * ```
 */
export class ExponentialLR extends LrScheduler {
  /** Decay factor per step. */
  readonly gamma: number;

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: ExponentialLrOptions) {
    super(target);
    this.gamma = options.gamma;
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    return this.target.lr * this.gamma;
  }
}
