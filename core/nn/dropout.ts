/**
 * Dropout (`nn.Dropout`, `nn.Dropout2d`): in training, zero each element (or each whole
 * channel) with probability p and scale the rest by 1/(1 − p); in evaluation, pass the
 * input through. The mask comes from the backend's counter-based generator, so it is made
 * on the device from a seed and an offset, never uploaded, and is the same on every
 * backend. A layer keeps its seed and advances its offset by the mask's size per call;
 * both are its extra state, saved in checkpoints so that a resumed run drops what the
 * straight run would have. A data-parallel rank's layer, told where its shard sits in the
 * global batch, draws its rows' slice of the whole batch's mask and advances past the
 * whole mask, so N ranks drop exactly what one process does and no two ranks share a mask.
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";
import { mul, scale, unary } from "../ops.ts";
import type { Rng } from "../rng.ts";
import { sizeOf } from "../shape.ts";
import { Tensor } from "../tensor.ts";
import { type ExtraState, Module } from "./module.ts";

/**
 * `x` with each element of a mask of `noiseShape` (broadcast against `x`, default x's own
 * shape) kept when its uniform draw for counter `offset + i` under `seed` exceeds `p`, and
 * the kept values scaled by 1/(1 − p). `p` = 0 returns `x` and `p` = 1 zeros, as PyTorch.
 * @example
 * ```ts
 * import { createCpuBackend, dropout, tensor } from "../../mod.ts";
 * const x = tensor(createCpuBackend(), [1, 1, 1, 1, 1, 1], [6]);
 * console.log(await dropout(x, 0.5, 42, 0).toArray()); // each 0 or 2
 * ```
 */
export function dropout(
  x: Tensor,
  p: number,
  seed: number,
  offset: number,
  noiseShape: readonly number[] = x.shape,
): Tensor {
  checkProbability("dropout", p);
  if (p === 0) return x;
  if (p === 1) return scale(x, 0);
  const b = x.backend;
  const noise = new Tensor(b, b.randomUniform(sizeOf(noiseShape), seed, offset), noiseShape);
  // u is a multiple of 2⁻²⁴, so keeping u > p keeps 1 − p of the values to within 2⁻²⁴.
  const keep = unary("gt", noise, p);
  return mul(x, scale(keep, 1 / (1 - p)));
}

function checkProbability(where: string, p: number): void {
  if (!(Number.isFinite(p) && p >= 0 && p <= 1)) {
    throw new UsageError(where, `p must be a probability in [0, 1], got ${p}`);
  }
}

/** Options of {@link Dropout} and {@link Dropout2d}. */
export interface DropoutOptions {
  /** Probability of zeroing an element (or channel) (default 0.5). */
  p?: number;
}

/** What the dropout layers share: p, the seed, the offset, the shard's place, the extra state. */
export abstract class DropoutBase extends Module {
  /** Probability of zeroing an element. */
  readonly p: number;
  /** Key of this layer's random stream (a u32 drawn from the constructor's rng). */
  seed: number;
  /**
   * Counter of the next mask's first element: mask element j of global-batch row r is
   * drawn at `offset + r·perSample + j`; each training call advances it by the whole
   * global batch's mask size.
   */
  offset = 0;
  // Where the input's rows sit in the global batch; null: the input is the whole batch.
  private place: { firstRow: number; globalRows: number } | null = null;
  // Mask values per sample, learnt from the last draw; until then, rows skipped meanwhile.
  private perSample: number | null = null;
  private skippedRows = 0;

  /** `rng` gives the layer's seed; `options.p` defaults to 0.5. */
  constructor(rng: Rng, options: DropoutOptions = {}) {
    super();
    this.p = options.p ?? 0.5;
    checkProbability(new.target.name, this.p);
    this.seed = rng.nextU32();
  }

  /**
   * Makes the following training inputs rows `[firstRow, firstRow + n)` of a global batch
   * of `globalRows` (a data-parallel rank's shard): each draws exactly those rows of the
   * mask the whole batch would get and advances the offset past the whole batch's mask.
   * `shard(0, n)` for an input of n rows is the default behaviour.
   * @example
   * ```ts
   * import { createCpuBackend, Dropout, Rng, tensor } from "../../mod.ts";
   * const drop = new Dropout(new Rng(0));
   * drop.shard(2, 8); // this rank holds rows 2.. of a batch of 8
   * drop.forward(tensor(createCpuBackend(), new Float32Array(12).fill(1), [3, 4]));
   * console.log(drop.offset); // 32, as for the whole batch
   * ```
   */
  shard(firstRow: number, globalRows: number): void {
    if (!Number.isSafeInteger(globalRows) || globalRows < 1) {
      throw new UsageError(
        `${this.constructor.name}.shard`,
        `globalRows must be a positive integer, got ${globalRows}`,
      );
    }
    if (!Number.isSafeInteger(firstRow) || firstRow < 0 || firstRow >= globalRows) {
      throw new UsageError(
        `${this.constructor.name}.shard`,
        `firstRow must be an integer in [0, ${globalRows}), got ${firstRow}`,
      );
    }
    this.place = { firstRow, globalRows };
  }

  /**
   * Advances the offset past the mask of a global batch of `globalRows` of which this
   * rank holds no rows (its forward is skipped), so that its later masks stay aligned
   * with the other ranks'. A layer that has not drawn yet does not know its mask's size
   * per sample: it catches up on its first draw.
   */
  skipBatch(globalRows: number): void {
    if (!Number.isSafeInteger(globalRows) || globalRows < 1) {
      throw new UsageError(
        `${this.constructor.name}.skipBatch`,
        `globalRows must be a positive integer, got ${globalRows}`,
      );
    }
    if (this.perSample === null) this.skippedRows += globalRows;
    else this.offset += globalRows * this.perSample;
  }

  /**
   * Moves the offset back over the mask of the global batch of `globalRows` that the last
   * training call drew, so that the next call draws from that batch's mask again: the
   * micro-batches of one step (`--accumulate`) take their rows of one mask.
   */
  rewindBatch(globalRows: number): void {
    if (this.perSample !== null) this.offset -= globalRows * this.perSample;
  }

  /** Shape of the mask for input `x` (x's shape, or one value per channel). */
  protected abstract noiseShape(x: Tensor): readonly number[];

  /** The layer's output for input `x`. */
  forward(x: Tensor): Tensor {
    const shape = this.noiseShape(x);
    if (!this.training) return x;
    const rows = shape.length > 0 ? shape[0] : 1;
    const perSample = sizeOf(shape.slice(1));
    const { firstRow, globalRows } = this.place ?? { firstRow: 0, globalRows: rows };
    if (firstRow + rows > globalRows) {
      throw new ShapeError(
        this.constructor.name,
        `an input of ${rows} rows from row ${firstRow} overruns the global batch of ` +
          `${globalRows} rows given to shard()`,
      );
    }
    this.offset += this.skippedRows * perSample;
    this.skippedRows = 0;
    this.perSample = perSample;
    const y = dropout(x, this.p, this.seed, this.offset + firstRow * perSample, shape);
    this.offset += globalRows * perSample;
    return y;
  }

  /** Where the mask stream stands (seed and offset). */
  override extraState(): ExtraState {
    return { seed: this.seed, offset: this.offset };
  }

  /** Restores where the mask stream stands. */
  override loadExtraState(state: ExtraState): void {
    const { seed, offset } = state;
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
      throw new UsageError(this.constructor.name, `saved seed must be a u32, got ${seed}`);
    }
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new UsageError(
        this.constructor.name,
        `saved offset must be a non-negative integer, got ${offset}`,
      );
    }
    this.seed = seed;
    this.offset = offset;
    this.skippedRows = 0;
  }
}

/**
 * Zeroes each element with probability `p` in training, scaling the rest by 1/(1 − p)
 * (`nn.Dropout`); the identity in evaluation.
 * @example
 * ```ts
 * import { createCpuBackend, Dropout, Rng, tensor } from "../../mod.ts";
 * const drop = new Dropout(new Rng(0), { p: 0.25 });
 * const y = drop.forward(tensor(createCpuBackend(), new Float32Array(8).fill(3), [2, 4]));
 * console.log(await y.toArray()); // each 0 or 4
 * console.log(drop.offset); // 8
 * ```
 */
export class Dropout extends DropoutBase {
  /** The mask shape for `x`: one draw per element. */
  protected noiseShape(x: Tensor): readonly number[] {
    return x.shape;
  }
}

/**
 * Zeroes whole channels of `[N, C, H, W]` input with probability `p` in training, scaling
 * the rest by 1/(1 − p) (`nn.Dropout2d`); the identity in evaluation.
 * @example
 * ```ts
 * import { createCpuBackend, Dropout2d, Rng, tensor } from "../../mod.ts";
 * const drop = new Dropout2d(new Rng(0));
 * const y = drop.forward(tensor(createCpuBackend(), new Float32Array(16).fill(1), [2, 2, 2, 2]));
 * console.log(await y.toArray()); // runs of four 0s or four 2s, one per channel
 * ```
 */
export class Dropout2d extends DropoutBase {
  /** The mask shape for `x`: one draw per sample and channel. */
  protected noiseShape(x: Tensor): readonly number[] {
    if (x.shape.length !== 4) {
      throw new ShapeError(
        "Dropout2d",
        `expected 4D input [N, C, H, W], got ${x.shape.length}D input of shape [${x.shape}]`,
      );
    }
    const [n, c] = x.shape;
    return [n, c, 1, 1];
  }
}
