/**
 * Batch normalisation over `[n, c, len]` host arrays, forward and backward, as PyTorch's CPU
 * kernels compute it: per channel, the mean, then the biased variance as the mean of squared
 * deviations (two passes), sums in float64. The fast CPU backend runs the same arithmetic in
 * WebAssembly on its threads (cpu/kernels/norm.c, bitwise these results), and these loops
 * with its own output buffers (`alloc`) when its kernels' memory is full.
 *
 * @module
 */

/** Allocates an output array of `size` elements (contents are overwritten). */
export type Allocate = (size: number) => Float32Array;

const fresh: Allocate = (size) => new Float32Array(size);

/** Host operands of {@link batchNormHost}, as `Backend.batchNorm` takes them. */
export interface BatchNormHostArgs {
  x: Float32Array;
  n: number;
  c: number;
  len: number;
  weight: Float32Array | null;
  bias: Float32Array | null;
  eps: number;
  /** Mean and biased variance to use; null: the batch's. */
  stats: { mean: Float32Array; variance: Float32Array } | null;
}

/** `y = (x − mean)/√(var + eps)·γ + β` per channel, with the statistics it used. */
export function batchNormHost(
  { x, n, c, len, weight, bias, eps, stats }: BatchNormHostArgs,
  alloc: Allocate = fresh,
): { y: Float32Array; mean: Float32Array; variance: Float32Array } {
  const y = alloc(x.length);
  const mean = stats ? stats.mean : alloc(c);
  const variance = stats ? stats.variance : alloc(c);
  const count = n * len;
  for (let ch = 0; ch < c; ch++) {
    if (!stats) {
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const at = (i * c + ch) * len;
        for (let j = 0; j < len; j++) sum += x[at + j];
      }
      const m = sum / count;
      let squares = 0;
      for (let i = 0; i < n; i++) {
        const at = (i * c + ch) * len;
        for (let j = 0; j < len; j++) {
          const d = x[at + j] - m;
          squares += d * d;
        }
      }
      mean[ch] = m;
      variance[ch] = squares / count;
    }
    const m = mean[ch];
    const invStd = 1 / Math.sqrt(variance[ch] + eps);
    const scale = (weight ? weight[ch] : 1) * invStd;
    const shift = bias ? bias[ch] : 0;
    for (let i = 0; i < n; i++) {
      const at = (i * c + ch) * len;
      for (let j = 0; j < len; j++) y[at + j] = (x[at + j] - m) * scale + shift;
    }
  }
  return { y, mean, variance };
}

/** Host operands of {@link batchNormBackwardHost}. */
export interface BatchNormBackwardHostArgs {
  x: Float32Array;
  gy: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  weight: Float32Array | null;
  n: number;
  c: number;
  len: number;
  eps: number;
  /** Whether the statistics were the batch's (their gradient then flows to x). */
  batchStats: boolean;
}

/**
 * gβ = Σ gy, gγ = Σ gy·x̂, gx = γ·invStd·(gy − gβ/M − x̂·gγ/M) with batch statistics
 * (γ·invStd·gy without), per channel over its M = n·len values.
 */
export function batchNormBackwardHost(
  { x, gy, mean, variance, weight, n, c, len, eps, batchStats }: BatchNormBackwardHostArgs,
  alloc: Allocate = fresh,
): { gx: Float32Array; gWeight: Float32Array | null; gBias: Float32Array | null } {
  const gx = alloc(x.length);
  const gWeight = weight ? alloc(c) : null;
  const gBias = weight ? alloc(c) : null;
  const count = n * len;
  for (let ch = 0; ch < c; ch++) {
    const m = mean[ch];
    const invStd = 1 / Math.sqrt(variance[ch] + eps);
    let sumGy = 0, sumGyXhat = 0;
    for (let i = 0; i < n; i++) {
      const at = (i * c + ch) * len;
      for (let j = 0; j < len; j++) {
        const g = gy[at + j];
        sumGy += g;
        sumGyXhat += g * (x[at + j] - m) * invStd;
      }
    }
    if (gWeight && gBias) {
      gWeight[ch] = sumGyXhat;
      gBias[ch] = sumGy;
    }
    const scale = (weight ? weight[ch] : 1) * invStd;
    const meanGy = batchStats ? sumGy / count : 0;
    const meanGyXhat = batchStats ? sumGyXhat / count : 0;
    for (let i = 0; i < n; i++) {
      const at = (i * c + ch) * len;
      for (let j = 0; j < len; j++) {
        const xhat = (x[at + j] - m) * invStd;
        gx[at + j] = scale * (gy[at + j] - meanGy - xhat * meanGyXhat);
      }
    }
  }
  return { gx, gWeight, gBias };
}
