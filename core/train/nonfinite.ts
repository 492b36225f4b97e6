/**
 * Divergence caught on the device: every step marks a flag when the step's gradient (summed
 * across ranks) holds NaN or ±∞, and the parameters are marked whenever the flags are read
 * — at each metrics read-back and before every checkpoint — so that training itself never
 * waits for a read-back. A set flag stops the run with one line naming the first step and
 * the first parameter (in `state_dict` order) that was not finite.
 *
 * With `skip-step`, as PyTorch AMP's `GradScaler` does, a step whose gradient is not finite
 * is dropped: parameters, optimizer state and step count stay as they were. Deciding that
 * takes one read of a 3-element flag per step. In a data-parallel job every rank holds the
 * same summed gradient (the ring's all-gather copies each summed chunk to every rank), so
 * every rank drops the same steps.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import { NonFiniteError } from "../errors.ts";
import type { FlatParameters } from "../nn/flat_parameters.ts";

/** What a run does when a step's gradient is not finite (`--on-nonfinite`). */
export type NonFinitePolicy = "stop" | "skip-step";

/** Every {@link NonFinitePolicy}, the default first. */
export const nonFinitePolicies: readonly NonFinitePolicy[] = ["stop", "skip-step"];

/** Elements of one flag: `[step, ⌊i / 65536⌋, i mod 65536]` (`Backend.markNonFinite`). */
const FLAG = 3;

/** The non-finite flags of one trainer's flat parameters and gradients. */
export class NonFiniteWatch {
  /** Steps dropped by `skip-step` so far. */
  skipped = 0;
  private readonly backend: Backend;
  private readonly flags: Storage;
  private readonly gradFlag: Storage;
  private readonly valueFlag: Storage;
  private readonly stepFlag: Storage;
  private readonly stride: number;

  /** Watches `flat`; `step` is the number of steps already taken (a resumed run's). */
  constructor(
    private readonly flat: FlatParameters,
    readonly policy: NonFinitePolicy,
    private step: number,
  ) {
    const b = this.backend = flat.backend;
    this.stride = Math.ceil(FLAG / b.viewAlignment) * b.viewAlignment;
    this.flags = b.zeros(3 * this.stride, true);
    [this.gradFlag, this.valueFlag, this.stepFlag] = [0, 1, 2].map((k) =>
      b.view(this.flags, k * this.stride, FLAG)
    );
  }

  /** A flag's mark for the current step: never 0, which means "clear" (step 0 is before training). */
  private mark(): number {
    return this.step + 1;
  }

  /** Counts the step that is starting; its number is what the flags record. */
  startStep(): void {
    this.step++;
  }

  /**
   * Marks the step's complete gradient; resolves with whether to apply the update: always
   * with `stop`, and with `skip-step` only when the gradient is finite (one read-back).
   */
  async gradientsFinite(): Promise<boolean> {
    const b = this.backend;
    if (this.policy === "stop") {
      b.markNonFinite(this.gradFlag, this.flat.grads, this.mark());
      return true;
    }
    b.markNonFinite(this.stepFlag, this.flat.grads, this.mark());
    if ((await b.read(this.stepFlag))[0] === 0) return true;
    b.write(this.stepFlag, new Float32Array(FLAG));
    this.skipped++;
    return false;
  }

  /**
   * Marks the parameters as they are now, reads the flags, and throws a
   * {@link NonFiniteError} naming the first step and parameter that were not finite.
   */
  async check(): Promise<void> {
    this.backend.markNonFinite(this.valueFlag, this.flat.params, this.mark());
    const flags = await this.backend.read(this.flags);
    const grad = flags.subarray(0, FLAG);
    const value = flags.subarray(this.stride, this.stride + FLAG);
    // A gradient marked at the same step came first: the update follows it.
    const first = grad[0] !== 0 && (value[0] === 0 || grad[0] <= value[0])
      ? { flag: grad, what: "gradient of" }
      : value[0] !== 0
      ? { flag: value, what: "value of" }
      : null;
    if (!first) return;
    const [mark, high, low] = first.flag;
    const index = high * 65536 + low;
    const slot = this.flat.slots.find((s) => index >= s.offset && index < s.offset + s.size);
    const name = slot ? `${slot.name}[${index - slot.offset}]` : `flat element ${index}`;
    const remedies = this.policy === "stop"
      ? "lower --lr, clip gradients, or --on-nonfinite skip-step"
      : "lower --lr or clip gradients";
    throw new NonFiniteError(
      `non-finite at step ${mark - 1}: the ${first.what} ${name} is NaN or ±Inf; stopped at step ` +
        `${this.step} before writing a checkpoint (${remedies})`,
    );
  }
}
