/**
 * `LinearLR`: a linear ramp of the lr's multiplier, typically a warm-up.
 *
 * @module
 */

import { LrScheduler, type LrTarget, requireOption } from "./scheduler.ts";

/** Options of {@link LinearLR}. */
export interface LinearLrOptions {
  /** Multiplier of the base lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** Multiplier reached after `totalIters` epochs, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs of the ramp (default 5). */
  totalIters?: number;
}

/**
 * Moves the lr's multiplier linearly from `startFactor` to `endFactor` over `totalIters`
 * epochs, then holds it (`torch.optim.lr_scheduler.LinearLR`, in its recursive form).
 * @example
 * ```ts
 * import { LinearLR } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * const sched = new LinearLR(opt, { startFactor: 0.5, totalIters: 2 });
 * console.log(opt.lr); // 0.5
 * sched.step();
 * console.log(opt.lr); // 0.75
 * ```
 */
export class LinearLR extends LrScheduler {
  /** Factor of the base lr at the start. */
  readonly startFactor: number;
  /** Factor at the end. */
  readonly endFactor: number;
  /** Steps from start to end factor. */
  readonly totalIters: number;

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: LinearLrOptions = {}) {
    super(target);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = options;
    const name = "LinearLR";
    requireOption(
      name,
      "startFactor",
      startFactor > 0 && startFactor <= 1,
      `must be in (0, 1], got ${startFactor}`,
    );
    requireOption(
      name,
      "endFactor",
      endFactor >= 0 && endFactor <= 1,
      `must be in [0, 1], got ${endFactor}`,
    );
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.setLr(target.lr * startFactor);
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    const { lastEpoch: t, startFactor: s, endFactor: e, totalIters: n } = this;
    const lr = this.target.lr;
    if (t > n) return lr;
    return lr * (1 + (e - s) / (n * s + (t - 1) * (e - s)));
  }
}
