/**
 * `ReduceLROnPlateau`: cuts the lr when a metric stops improving.
 *
 * @module
 */

import { type LrTarget, requireOption } from "./scheduler.ts";

/** Options of {@link ReduceLROnPlateau}, PyTorch's names and defaults. */
export interface ReduceLrOnPlateauOptions {
  /** `min` (default): lower is better; `max`: higher is better. */
  mode?: "min" | "max";
  /** New lr = lr·factor, factor < 1 (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before a cut (default 10). */
  patience?: number;
  /** How much better counts as better (default 1e-4). */
  threshold?: number;
  /** `rel` (default): relative to the best; `abs`: absolute. */
  thresholdMode?: "rel" | "abs";
  /** Epochs after a cut during which bad epochs are not counted (default 0). */
  cooldown?: number;
  /** Lower bound of the lr (default 0). */
  minLr?: number;
  /** A cut smaller than this is skipped (default 1e-8). */
  eps?: number;
}

/**
 * Multiplies the lr by `factor` once the metric passed to {@link step} has not improved
 * for more than `patience` epochs (`torch.optim.lr_scheduler.ReduceLROnPlateau`).
 * @example
 * ```ts
 * import { ReduceLROnPlateau } from "../../../mod.ts";
 * const opt = { lr: 1 };
 * const sched = new ReduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
 * for (const loss of [3, 2, 2, 2]) sched.step(loss);
 * console.log(opt.lr); // 0.5
 * ```
 */
export class ReduceLROnPlateau {
  /** `min`: a lower metric is better; `max`: higher. */
  readonly mode: "min" | "max";
  /** Factor the lr is multiplied by on a plateau. */
  readonly factor: number;
  /** Epochs without improvement before the lr drops. */
  readonly patience: number;
  /** What counts as an improvement. */
  readonly threshold: number;
  /** `rel`: `threshold` relative to the best; `abs`: absolute. */
  readonly thresholdMode: "rel" | "abs";
  /** Epochs to wait after a drop. */
  readonly cooldown: number;
  /** The lowest learning rate. */
  readonly minLr: number;
  /** Smaller lr changes than this are ignored. */
  readonly eps: number;
  /** Epochs seen (PyTorch's `last_epoch`). */
  lastEpoch = 0;
  /** Best metric so far (±∞ before the first step). */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;

  /** Drives `target`'s lr from the metric given to `step` each epoch. */
  constructor(readonly target: LrTarget, options: ReduceLrOnPlateauOptions = {}) {
    const {
      mode = "min",
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = "rel",
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = options;
    const name = "ReduceLROnPlateau";
    requireOption(name, "factor", factor < 1, `must be < 1, got ${factor}`);
    requireOption(
      name,
      "mode",
      mode === "min" || mode === "max",
      `must be min or max, got ${mode}`,
    );
    requireOption(
      name,
      "thresholdMode",
      thresholdMode === "rel" || thresholdMode === "abs",
      `must be rel or abs, got ${thresholdMode}`,
    );
    this.mode = mode;
    this.factor = factor;
    this.patience = patience;
    this.threshold = threshold;
    this.thresholdMode = thresholdMode;
    this.cooldown = cooldown;
    this.minLr = minLr;
    this.eps = eps;
    this.best = mode === "min" ? Infinity : -Infinity;
  }

  /** The target's current lr (PyTorch's `get_last_lr()[0]` after a step). */
  get lastLr(): number {
    return this.target.lr;
  }

  /** Records one epoch's metric and cuts the lr if it has plateaued. */
  step(metric: number): void {
    this.lastEpoch++;
    if (this.#isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      const old = this.target.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.target.lr = next;
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  #isBetter(a: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") {
      return this.thresholdMode === "rel" ? a < best * (1 - threshold) : a < best - threshold;
    }
    return this.thresholdMode === "rel" ? a > best * (threshold + 1) : a > best + threshold;
  }
}
