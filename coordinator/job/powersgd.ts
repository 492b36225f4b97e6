/**
 * PowerSGD gradient compression (Vogels et al. 2019), as PyTorch DDP's `powerSGD_hook` does
 * it: every parameter of two or more dimensions, seen as rows × (the rest), travels as two
 * rank-r factors P (rows × r) and Q (cols × r) when that saves bytes; everything else
 * travels whole. Per step and matrix, with M = gradient + error (error feedback):
 * Q is orthogonalised (kept from the last step: warm start), P = M·Q is summed across
 * ranks and orthogonalised, Q = Mᵀ·P is summed, the gradient becomes P·Qᵀ, and the error
 * left is M − P·Qᵀ / world.
 *
 * Scale: gradmesh's gradients already sum to the mean gradient (each rank's loss is divided
 * by the global batch), so where DDP averages Q this sums it; the error is DDP's divided by
 * the world, which keeps the sum of the errors equal to what the compression lost. Every
 * rank sums the same P and Q bitwise (the job's all-reduce), so every rank takes the same
 * update.
 *
 * The first `start` steps are plain all-reduces (DDP's `start_powerSGD_iter`). The state (Q,
 * the error, the step count) lives in memory only: a resumed run starts it again.
 *
 * @module
 */

import { Rng } from "../../core/rng.ts";
import { multiply, multiplyTransposed, orthogonalize, reconstruct } from "./low_rank.ts";

/** Options of {@link PowerSgd}. */
export interface PowerSgdOptions {
  /** Rank of the approximation (`--powersgd`), at least 1; clamped to min(rows, cols). */
  readonly rank: number;
  /** Plain all-reduces before compression starts (`--powersgd-start`). Default 0. */
  readonly start?: number;
  /** Run seed: the first Q comes from it, the same on every rank. */
  readonly seed: number;
  /**
   * A matrix is compressed only when (rows + cols)·r times this is below rows·cols.
   * Default 1: whenever it saves bytes (DDP's default is 2).
   */
  readonly minCompressionRate?: number;
  /** Added to each column's norm in Gram-Schmidt. Default 0, DDP's. */
  readonly epsilon?: number;
}

/** Where one parameter lives in the flat gradient, and its shape. */
export interface SlotShape {
  /** First float in the flat gradient. */
  readonly offset: number;
  /** Floats (the product of `shape`). */
  readonly size: number;
  /** Its shape, PyTorch's. */
  readonly shape: readonly number[];
}

/** One compressed matrix and where its factors lie in the P and Q vectors. */
export interface CompressedMatrix {
  /** First float of the parameter in the flat gradient. */
  readonly offset: number;
  /** Its first dimension. */
  readonly rows: number;
  /** The product of its other dimensions. */
  readonly cols: number;
  /** Rank of its approximation. */
  readonly r: number;
  /** First float of its P in the P vector. */
  readonly pAt: number;
  /** First float of its Q in the Q vector. */
  readonly qAt: number;
  /** First float of its error in the error vector. */
  readonly errorAt: number;
}

/** How a model's gradient is split for PowerSGD. */
export interface PowerSgdLayout {
  /** The compressed matrices, in slot order. */
  readonly matrices: readonly CompressedMatrix[];
  /** The parameters sent whole, in order, packed into one vector. */
  readonly uncompressed: readonly SlotShape[];
  /** Floats of the packed parameters sent whole. */
  readonly uncompressedLength: number;
  /** Floats of every matrix's P, packed. */
  readonly pLength: number;
  /** Floats of every matrix's Q, packed. */
  readonly qLength: number;
  /** Floats of every matrix's error, packed. */
  readonly errorLength: number;
}

/**
 * The split of `slots` at approximation rank `rank`: which parameters are compressed, and
 * where their factors go.
 *
 * @example
 * ```ts
 * import { powerSgdLayout } from "./powersgd.ts";
 * const layout = powerSgdLayout([
 *   { offset: 0, size: 40, shape: [4, 10] },
 *   { offset: 40, size: 4, shape: [4] },
 * ], 1);
 * layout.pLength + layout.qLength + layout.uncompressedLength; // 18 floats instead of 44
 * ```
 */
export function powerSgdLayout(
  slots: readonly SlotShape[],
  rank: number,
  minCompressionRate = 1,
): PowerSgdLayout {
  const matrices: CompressedMatrix[] = [];
  const uncompressed: SlotShape[] = [];
  let pAt = 0, qAt = 0, errorAt = 0, uncompressedLength = 0;
  for (const slot of slots) {
    const rows = slot.shape[0];
    const cols = slot.size / rows;
    const r = Math.min(rows, cols, rank);
    if (slot.shape.length >= 2 && (rows + cols) * r * minCompressionRate < rows * cols) {
      matrices.push({ offset: slot.offset, rows, cols, r, pAt, qAt, errorAt });
      pAt += rows * r;
      qAt += cols * r;
      errorAt += slot.size;
    } else {
      uncompressed.push(slot);
      uncompressedLength += slot.size;
    }
  }
  return {
    matrices,
    uncompressed,
    uncompressedLength,
    pLength: pAt,
    qLength: qAt,
    errorLength: errorAt,
  };
}

/** The three vectors of a compressed step, summed across ranks in this order. */
export type PowerSgdVector = "uncompressed" | "p" | "q";

/** Sums `data` in place across ranks as the step's `vector`. */
export type SumVector = (vector: PowerSgdVector, data: Float32Array<ArrayBuffer>) => Promise<void>;

/**
 * One rank's PowerSGD state: Q and the error of every compressed matrix, and the steps done.
 *
 * @example One rank (a mesh passes its all-reduce as `sum`: see `GradientReducer`)
 * ```ts
 * import { PowerSgd } from "./powersgd.ts";
 * const powerSgd = new PowerSgd([{ offset: 0, size: 12, shape: [3, 4] }], 1, { rank: 1, seed: 0 });
 * const grads = new Float32Array(12).fill(1); // a rank-1 matrix
 * await powerSgd.reduce(grads, () => Promise.resolve()); // one rank: nothing to sum
 * // grads: all ones again, to float32 rounding
 * ```
 */
export class PowerSgd {
  /** How the gradient is split into compressed matrices and parameters sent whole. */
  readonly layout: PowerSgdLayout;
  /** Every compressed matrix's Q, kept between steps. */
  readonly q: Float32Array<ArrayBuffer>;
  /** Every compressed matrix's P of the last step, orthonormal. */
  readonly p: Float32Array<ArrayBuffer>;
  /** Every compressed matrix's error (M minus its share of the sum), kept between steps. */
  readonly error: Float32Array<ArrayBuffer>;
  /** Optimizer steps reduced so far (plain ones included). */
  steps = 0;
  readonly #world: number;
  readonly #start: number;
  readonly #epsilon: number;
  /** P·Qᵀ of one matrix at a time. */
  readonly #approx: Float32Array;

  constructor(slots: readonly SlotShape[], world: number, options: PowerSgdOptions) {
    const { rank, start = 0, seed } = options;
    if (!Number.isInteger(rank) || rank < 1) {
      throw new RangeError(`PowerSGD rank must be an integer >= 1, got ${rank}`);
    }
    if (!Number.isInteger(start) || start < 0) {
      throw new RangeError(`PowerSGD start must be an integer >= 0, got ${start}`);
    }
    this.layout = powerSgdLayout(slots, rank, options.minCompressionRate);
    this.#world = world;
    this.#start = start;
    this.#epsilon = options.epsilon ?? 0;
    this.p = new Float32Array(this.layout.pLength);
    this.q = new Float32Array(this.layout.qLength);
    // Its own stream of the run seed, so that Q0 is not the model's initial weights.
    const rng = new Rng((seed ^ 0x5047_5344) >>> 0);
    for (let i = 0; i < this.q.length; i++) this.q[i] = rng.normal();
    this.error = new Float32Array(this.layout.errorLength);
    const { matrices } = this.layout;
    this.#approx = new Float32Array(Math.max(0, ...matrices.map((x) => x.rows * x.cols)));
  }

  /** Whether the next step is compressed (else a plain all-reduce). */
  get compressing(): boolean {
    return this.steps >= this.#start;
  }

  /** Floats of a compressed step's vectors, in `PowerSgdVector` order: whole, P, Q. */
  get vectorLengths(): readonly number[] {
    const { uncompressedLength, pLength, qLength } = this.layout;
    return [uncompressedLength, pLength, qLength];
  }

  /**
   * Replaces the flat gradient `grads` (this rank's, on the host) by the compressed sum
   * across ranks, summing through `sum`. The uncompressed vector and P are summed at once.
   */
  async reduce(grads: Float32Array, sum: SumVector): Promise<void> {
    const { matrices, uncompressed, uncompressedLength } = this.layout;
    const whole = new Float32Array(uncompressedLength);
    let at = 0;
    for (const s of uncompressed) {
      whole.set(grads.subarray(s.offset, s.offset + s.size), at);
      at += s.size;
    }
    const p = this.p;
    const m = matrices.map((x) => {
      const size = x.rows * x.cols;
      const mx = grads.subarray(x.offset, x.offset + size);
      const e = this.error.subarray(x.errorAt, x.errorAt + size);
      for (let i = 0; i < size; i++) mx[i] += e[i];
      const qx = this.q.subarray(x.qAt, x.qAt + x.cols * x.r);
      orthogonalize(qx, x.cols, x.r, this.#epsilon);
      multiply(mx, x.rows, x.cols, qx, x.r, p.subarray(x.pAt, x.pAt + x.rows * x.r));
      return mx;
    });
    await Promise.all([sum("uncompressed", whole), sum("p", p)]);
    matrices.forEach((x, i) => {
      const px = p.subarray(x.pAt, x.pAt + x.rows * x.r);
      orthogonalize(px, x.rows, x.r, this.#epsilon);
      multiplyTransposed(
        m[i],
        x.rows,
        x.cols,
        px,
        x.r,
        this.q.subarray(x.qAt, x.qAt + x.cols * x.r),
      );
    });
    await sum("q", this.q);
    at = 0;
    for (const s of uncompressed) {
      grads.set(whole.subarray(at, at + s.size), s.offset);
      at += s.size;
    }
    const approx = this.#approx;
    matrices.forEach((x, i) => {
      const size = x.rows * x.cols;
      const px = p.subarray(x.pAt, x.pAt + x.rows * x.r);
      const qx = this.q.subarray(x.qAt, x.qAt + x.cols * x.r);
      const out = approx.subarray(0, size);
      reconstruct(px, qx, x.rows, x.cols, x.r, out);
      const e = this.error.subarray(x.errorAt, x.errorAt + size);
      for (let j = 0; j < size; j++) e[j] = m[i][j] - out[j] / this.#world;
      m[i].set(out);
    });
  }
}
