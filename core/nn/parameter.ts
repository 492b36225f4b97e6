/**
 * `Parameter`: a learnable tensor. It starts as host values (its initialisation) and is
 * later bound to a view into the flat parameter buffer, with its gradient a view into
 * the flat gradient buffer beside it.
 *
 * @module
 */

import { GradmeshError } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { Tensor } from "../tensor.ts";

/** A learnable tensor of a module. */
export class Parameter {
  private bound: Tensor | null = null;

  /** `init` holds the initial values (row-major, `shape`'s size). */
  constructor(readonly shape: readonly number[], readonly init: Float32Array) {
    if (init.length !== sizeOf(shape)) {
      throw new GradmeshError(
        `Parameter: shape [${shape}] needs ${sizeOf(shape)} values, got ${init.length}`,
      );
    }
  }

  /** Number of elements. */
  get size(): number {
    return this.init.length;
  }

  /** Whether {@link bindParameters} placed it on a backend yet. */
  get isBound(): boolean {
    return this.bound !== null;
  }

  /** The bound tensor (requires grad); throws before {@link bindParameters} ran. */
  get value(): Tensor {
    if (!this.bound) throw new GradmeshError("Parameter used before bindParameters()");
    return this.bound;
  }

  /** Binds to backend storage; called by {@link bindParameters}. */
  bind(t: Tensor): void {
    this.bound = t;
  }

  /** The accumulated gradient (like PyTorch's `.grad`), read back to the host. */
  grad(): Promise<Float32Array> {
    const g = this.value.gradStorage;
    if (!g) throw new GradmeshError("Parameter has no gradient storage");
    return this.value.backend.read(g);
  }
}
