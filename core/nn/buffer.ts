/**
 * `ModuleBuffer`: non-learnable persistent state of a module (PyTorch's buffers, such as
 * a batch norm's running statistics). Modules are built before any backend exists, so a
 * buffer starts as host values and moves to persistent device storage the first time a
 * forward pass asks for it on a backend; from then on it is updated in place there.
 *
 * @module
 */

import type { Backend } from "../backend.ts";
import { GradmeshError, ShapeError } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { Tensor } from "../tensor.ts";

/** A persistent, non-learnable tensor of a module, saved in checkpoints under its name. */
export class ModuleBuffer {
  private host: Float32Array;
  private bound: Tensor | null = null;

  /**
   * `init` holds the initial values (row-major, `shape`'s size).
   * @example
   * ```ts
   * import { createCpuBackend, ModuleBuffer } from "../../mod.ts";
   * const runningMean = new ModuleBuffer([3], new Float32Array(3));
   * const t = runningMean.on(createCpuBackend());
   * console.log(t.shape, await runningMean.read()); // [3] Float32Array [0, 0, 0]
   * ```
   */
  constructor(readonly shape: readonly number[], init: Float32Array) {
    if (init.length !== sizeOf(shape)) {
      throw new ShapeError(
        "ModuleBuffer",
        `shape [${shape}] needs ${sizeOf(shape)} values, got ${init.length}`,
      );
    }
    this.host = init.slice();
  }

  /**
   * The buffer as a tensor on `backend` (no gradient), uploaded to persistent storage on
   * the first call. A buffer lives on one backend: asking for another throws.
   */
  on(backend: Backend): Tensor {
    if (!this.bound) {
      this.bound = new Tensor(backend, backend.upload(this.host, true), this.shape);
    } else if (this.bound.backend !== backend) {
      throw new GradmeshError(
        `ModuleBuffer: already on the ${this.bound.backend.name} backend, asked for ` +
          `another ${backend.name} backend (a module's buffers live on one backend)`,
      );
    }
    return this.bound;
  }

  /** The current values on the host (read back from the device once it lives there). */
  read(): Promise<Float32Array> {
    return this.bound ? this.bound.toArray() : Promise.resolve(this.host.slice());
  }

  /** Overwrites the values (a checkpoint being restored); `data` must have the buffer's size. */
  load(data: Float32Array): void {
    if (data.length !== this.host.length) {
      throw new ShapeError(
        "ModuleBuffer.load",
        `buffer [${this.shape}] needs ${this.host.length} values, got ${data.length}`,
      );
    }
    if (this.bound) this.bound.backend.write(this.bound.storage, data);
    else this.host = data.slice();
  }
}
