/**
 * Cosine schedules: `CosineAnnealingLR` (PyTorch's recursive form, which keeps following
 * the cosine past `tMax`) and `CosineAnnealingWarmRestarts` (SGDR).
 *
 * @module
 */

import { LrScheduler, type LrTarget, requireOption } from "./scheduler.ts";

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLrOptions {
  /** Epochs from the base lr down to `etaMin` (PyTorch's `T_max`). */
  tMax: number;
  /** Lowest lr (default 0). */
  etaMin?: number;
}

/** Options of {@link CosineAnnealingWarmRestarts}. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart (PyTorch's `T_0`), a positive integer. */
  t0: number;
  /** Growth factor of the period after each restart (`T_mult`), an integer ≥ 1 (default 1). */
  tMult?: number;
  /** Lowest lr (default 0). */
  etaMin?: number;
}

/**
 * `η_t = η_min + (η_base − η_min)·(1 + cos(πt/T_max))/2`, computed recursively from the
 * target's current lr as `torch.optim.lr_scheduler.CosineAnnealingLR` does.
 * @example
 * ```ts
 * import { CosineAnnealingLR } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * const sched = new CosineAnnealingLR(opt, { tMax: 2 });
 * sched.step();
 * console.log(opt.lr.toFixed(6)); // "0.500000"
 * ```
 */
export class CosineAnnealingLR extends LrScheduler {
  /** Steps of the half cosine. */
  readonly tMax: number;
  /** The lowest learning rate. */
  readonly etaMin: number;

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: CosineAnnealingLrOptions) {
    super(target);
    const { tMax, etaMin = 0 } = options;
    requireOption("CosineAnnealingLR", "tMax", tMax > 0, `must be > 0, got ${tMax}`);
    this.tMax = tMax;
    this.etaMin = etaMin;
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    const { lastEpoch: t, tMax, etaMin } = this;
    const lr = this.target.lr;
    // At the trough the recursive ratio would divide by 0: PyTorch steps up from there.
    if ((t - 1 - tMax) % (2 * tMax) === 0) {
      return lr + (this.baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax)) / 2;
    }
    return (1 + Math.cos(Math.PI * t / tMax)) / (1 + Math.cos(Math.PI * (t - 1) / tMax)) *
        (lr - etaMin) + etaMin;
  }
}

/**
 * Cosine annealing restarted every `t0·tMult^k` epochs
 * (`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts`, stepped once per epoch).
 * @example
 * ```ts
 * import { CosineAnnealingWarmRestarts } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * const sched = new CosineAnnealingWarmRestarts(opt, { t0: 2 });
 * sched.step();
 * sched.step();
 * console.log(opt.lr); // 1
 * ```
 */
export class CosineAnnealingWarmRestarts extends LrScheduler {
  /** Steps of the first cycle. */
  readonly t0: number;
  /** Factor by which each cycle grows. */
  readonly tMult: number;
  /** The lowest learning rate. */
  readonly etaMin: number;
  /** Epochs since the last restart (`T_cur`). */
  tCur = 0;
  /** Length of the current period (`T_i`). */
  tI: number;

  /** Schedules `target`'s learning rate with `options`, PyTorch's arguments. */
  constructor(target: LrTarget, options: CosineAnnealingWarmRestartsOptions) {
    super(target);
    const { t0, tMult = 1, etaMin = 0 } = options;
    const name = "CosineAnnealingWarmRestarts";
    requireOption(
      name,
      "t0",
      Number.isInteger(t0) && t0 > 0,
      `must be a positive integer, got ${t0}`,
    );
    requireOption(
      name,
      "tMult",
      Number.isInteger(tMult) && tMult >= 1,
      `must be an integer ≥ 1, got ${tMult}`,
    );
    this.t0 = t0;
    this.tI = t0;
    this.tMult = tMult;
    this.etaMin = etaMin;
  }

  /** The learning rate after the next step, by the schedule's formula. */
  protected nextLr(): number {
    this.tCur++;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.tMult;
    }
    const { etaMin } = this;
    return etaMin + (this.baseLr - etaMin) * (1 + Math.cos(Math.PI * this.tCur / this.tI)) / 2;
  }
}
