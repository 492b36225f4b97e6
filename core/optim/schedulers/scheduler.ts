/**
 * The base of the epoch-driven learning-rate schedulers: PyTorch's `LRScheduler`
 * bookkeeping (`last_epoch`, `base_lrs`, `get_last_lr()`) over anything with a settable
 * `lr`, such as an `Optimizer`. Schedules are plain host arithmetic, written in the same
 * order of operations as PyTorch 1.13 so that the sequences agree to the last bit or two.
 *
 * @module
 */

import { UsageError } from "../../errors.ts";

/** What a scheduler drives: an object with a settable learning rate (an `Optimizer`). */
export interface LrTarget {
  /** The learning rate. */
  lr: number;
}

/** A scheduler that advances once per epoch or iteration (all but ReduceLROnPlateau). */
export abstract class LrScheduler {
  /** Steps taken since construction (PyTorch's `last_epoch`). */
  lastEpoch = 0;
  /** The target's lr when the scheduler was created (PyTorch's `base_lrs[0]`). */
  readonly baseLr: number;
  #lastLr: number;

  /** Drives `target`'s learning rate, starting from its current one. */
  constructor(readonly target: LrTarget) {
    this.baseLr = target.lr;
    this.#lastLr = target.lr;
  }

  /** The lr that the latest step (or the constructor) set (PyTorch's `get_last_lr()[0]`). */
  get lastLr(): number {
    return this.#lastLr;
  }

  /** Advances one step and sets the target's lr. */
  step(): void {
    this.lastEpoch++;
    this.setLr(this.nextLr());
  }

  /** Sets the target's lr and remembers it as {@link lastLr}. */
  protected setLr(lr: number): void {
    this.target.lr = lr;
    this.#lastLr = lr;
  }

  /** The lr for {@link lastEpoch}, already advanced; may read the target's current lr. */
  protected abstract nextLr(): number;
}

/** Throws a UsageError naming the scheduler and the argument unless `ok`. */
export function requireOption(
  scheduler: string,
  name: string,
  ok: boolean,
  expected: string,
): void {
  if (!ok) throw new UsageError(scheduler, `${name} ${expected}`);
}
