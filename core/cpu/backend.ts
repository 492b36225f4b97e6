/**
 * The CPU reference backend: every op as a plain loop over `Float32Array`s. Slow,
 * obvious and exact; the WebGPU backend is tested against it.
 *
 * @module
 */

import type {
  AvgWindow2d,
  Backend,
  BatchNormArgs,
  BatchNormBackwardArgs,
  BatchNormGrads,
  BatchNormStats,
  BinaryArgs,
  CrossEntropySpec,
  FusedActivation,
  LinearArgs,
  LinearBackwardArgs,
  MatmulArgs,
  OpScalars,
  OptimizerStepArgs,
  Planes2d,
  ReduceArgs,
  SoftmaxArgs,
  Storage,
  TallyArgs,
  Window2d,
} from "../backend.ts";
import { type BinaryOpName, binaryOps, type UnaryOpName, unaryOps } from "../elementwise.ts";
import { ShapeError } from "../errors.ts";
import { broadcastStrides, sizeOf } from "../shape.ts";
import {
  batchNormBackwardHost,
  type BatchNormBackwardHostArgs,
  batchNormHost,
  type BatchNormHostArgs,
} from "./batch_norm.ts";
import { col2imHost, im2colHost } from "./conv.ts";
import { gatherSamplesHost } from "./gather.ts";
import { softmaxCrossEntropyBackwardHost, softmaxCrossEntropyHost } from "./cross_entropy.ts";
import { matmulHost } from "./matmul.ts";
import { permuteHost } from "./permute.ts";
import {
  adaptiveAvgPool2dBackwardHost,
  adaptiveAvgPool2dHost,
  avgPool2dBackwardHost,
  avgPool2dHost,
  maxPool2dBackwardHost,
  maxPool2dHost,
} from "./pool.ts";
import { philoxUniform } from "./random.ts";
import { tallyPredictionsHost } from "./tally.ts";
import { type RowExps, rowExps } from "./row_exps.ts";

/** Host storage: a `Float32Array`, possibly a subarray view of a larger one. */
export class CpuStorage implements Storage {
  constructor(readonly data: Float32Array) {}
  get size(): number {
    return this.data.length;
  }
}

function wrap(data: Float32Array): CpuStorage {
  return new CpuStorage(data);
}

/** The elementwise op each fused activation applies (shared with the fast CPU backend). */
export const activationOf: Record<Exclude<FusedActivation, "none">, UnaryOpName> = {
  relu: "relu",
  tanh: "tanh",
  sigmoid: "sigmoid",
};
/** The op giving each fused activation's gradient from its output and the upstream gradient. */
export const activationGradOf: Record<Exclude<FusedActivation, "none">, BinaryOpName> = {
  relu: "relu_grad",
  tanh: "tanh_grad",
  sigmoid: "sigmoid_grad",
};

const ZERO = wrap(new Float32Array(1));

function host(s: Storage): Float32Array {
  return (s as CpuStorage).data;
}

/** Creates the CPU reference backend. */
export function createCpuBackend(): Backend {
  return new CpuBackend();
}

/**
 * The sizes of one product of {@link CpuBackend}'s `product` hook: `op(x)` is `[m, k]` and
 * `op(y)` is `[k, n]`, `batch` such products back to back (as {@link MatmulArgs}).
 */
export type ProductShape = Omit<MatmulArgs, "a" | "b">;

/** The reference backend's class, exported so that faster CPU backends can reuse its ops. */
export class CpuBackend implements Backend {
  readonly name: string = "cpu";
  readonly description: string = "CPU reference (Float32Array)";
  readonly viewAlignment = 1;

  zeros(size: number): Storage {
    return wrap(new Float32Array(size));
  }
  upload(data: Float32Array): Storage {
    return wrap(data.slice());
  }
  write(dst: Storage, data: Float32Array): void {
    host(dst).set(data);
  }
  view(base: Storage, offset: number, size: number): Storage {
    return wrap(host(base).subarray(offset, offset + size));
  }
  read(s: Storage): Promise<Float32Array> {
    return Promise.resolve(host(s).slice());
  }
  flush(): void {}
  endStep(): void {}
  destroy(): void {}

  unary(op: UnaryOpName, x: Storage, { alpha = 0, beta = 0 }: OpScalars = {}): Storage {
    const f = unaryOps[op];
    const src = host(x);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = f(src[i], alpha, beta);
    return wrap(out);
  }

  binary({ op, a, aShape, b, bShape, outShape, alpha = 0, beta = 0 }: BinaryArgs): Storage {
    const f = binaryOps[op];
    const x = host(a), y = host(b);
    const n = sizeOf(outShape);
    const out = new Float32Array(n);
    if (x.length === n && y.length === n) {
      for (let i = 0; i < n; i++) out[i] = f(x[i], y[i], alpha, beta);
      return wrap(out);
    }
    const sa = broadcastStrides(aShape, outShape);
    const sb = broadcastStrides(bShape, outShape);
    const rank = outShape.length;
    const index = new Array<number>(rank).fill(0);
    let ia = 0, ib = 0;
    for (let i = 0; i < n; i++) {
      out[i] = f(x[ia], y[ib], alpha, beta);
      // Odometer increment of the output index, moving both input offsets with it.
      for (let d = rank - 1; d >= 0; d--) {
        index[d]++;
        ia += sa[d];
        ib += sb[d];
        if (index[d] < outShape[d]) break;
        ia -= sa[d] * outShape[d];
        ib -= sb[d] * outShape[d];
        index[d] = 0;
      }
    }
    return wrap(out);
  }

  expand(x: Storage, shape: readonly number[], outShape: readonly number[]): Storage {
    return this.binary({ op: "add", a: x, aShape: shape, b: ZERO, bShape: [], outShape });
  }

  affine(x: Storage, mul: number, add: number): Storage {
    const src = host(x);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] * mul + add;
    return wrap(out);
  }

  reduce({ op, x, outer, len, inner }: ReduceArgs): Storage {
    const src = host(x);
    const out = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let acc = op === "sum" ? 0 : -Infinity;
        for (let l = 0; l < len; l++) {
          const v = src[base + l * inner];
          acc = op === "sum" ? acc + v : (v > acc || Number.isNaN(v) ? v : acc);
        }
        out[o * inner + i] = acc;
      }
    }
    return wrap(out);
  }

  matmul({ a, b, m, k, n, transA = false, transB = false, batch = 1 }: MatmulArgs): Storage {
    return wrap(this.product(host(a), host(b), { m, k, n, transA, transB, batch }));
  }

  /**
   * Every matrix product of this backend (`matmul`, `linear`, `linearBackward`) goes through
   * here, so that a faster CPU backend replaces the products by overriding this one method.
   */
  protected product(
    x: Float32Array,
    y: Float32Array,
    { m, k, n, transA = false, transB = false, batch = 1 }: ProductShape,
  ): Float32Array {
    if (batch === 1) return matmulHost(x, y, m, k, n, transA, transB);
    const out = new Float32Array(batch * m * n);
    for (let i = 0; i < batch; i++) {
      const ai = x.subarray(i * m * k, (i + 1) * m * k);
      const bi = y.subarray(i * k * n, (i + 1) * k * n);
      out.set(matmulHost(ai, bi, m, k, n, transA, transB), i * m * n);
    }
    return out;
  }

  linear({ x, w, b, m, k, n, act }: LinearArgs): Storage {
    const y = this.product(host(x), host(w), { m, k, n, transB: true });
    const bias = b ? host(b) : null;
    const f = act === "none" ? null : unaryOps[activationOf[act]];
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        const v = y[r * n + c] + (bias ? bias[c] : 0);
        y[r * n + c] = f ? f(v, 0, 0) : v;
      }
    }
    return wrap(y);
  }

  linearBackward(
    { x, w, y, gy, m, k, n, act, hasBias, needInputGrad }: LinearBackwardArgs,
  ): { gx: Storage | null; gw: Storage; gb: Storage | null } {
    let gz = host(gy);
    if (act !== "none") {
      const f = binaryOps[activationGradOf[act]];
      const out = host(y);
      gz = gz.map((g, i) => f(out[i], g, 0, 0));
    }
    const gx = needInputGrad ? this.product(gz, host(w), { m, k: n, n: k }) : null;
    const gw = this.product(gz, host(x), { m: n, k: m, n: k, transA: true });
    let gb: Float32Array | null = null;
    if (hasBias) {
      gb = new Float32Array(n);
      for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) gb[c] += gz[r * n + c];
    }
    return { gx: gx && wrap(gx), gw: wrap(gw), gb: gb && wrap(gb) };
  }

  softmax({ x, rows, cols, log }: SoftmaxArgs): Storage {
    const src = host(x);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, src[o + c]);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(src[o + c] - max);
      const logSum = Math.log(sum);
      for (let c = 0; c < cols; c++) {
        const shifted = src[o + c] - max;
        out[o + c] = log ? shifted - logSum : Math.exp(shifted) / sum;
      }
    }
    return wrap(out);
  }

  gather(x: Storage, idx: Storage, rows: number, cols: number): Storage {
    const src = host(x), ix = host(idx);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      const c = ix[r];
      if (c >= 0 && c < cols) out[r] = src[r * cols + c];
    }
    return wrap(out);
  }

  scatter(g: Storage, idx: Storage, rows: number, cols: number): Storage {
    const src = host(g), ix = host(idx);
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const c = ix[r];
      if (c >= 0 && c < cols) out[r * cols + c] = src[r];
    }
    return wrap(out);
  }

  softmaxCrossEntropy(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    spec: CrossEntropySpec,
  ): Storage {
    const e = this.rowExps(host(logits), spec.rows, spec.cols);
    return wrap(
      softmaxCrossEntropyHost(host(logits), host(labels), weight && host(weight), spec, e),
    );
  }

  softmaxCrossEntropyBackward(
    logits: Storage,
    labels: Storage,
    weight: Storage | null,
    totals: Storage,
    gy: Storage,
    spec: CrossEntropySpec,
  ): Storage {
    const w = weight && host(weight), e = this.rowExps(host(logits), spec.rows, spec.cols);
    return wrap(softmaxCrossEntropyBackwardHost(host(labels), w, host(totals), host(gy), spec, e));
  }

  tallyPredictions({ sums, logits, labels, loss, lossScale, rows, cols }: TallyArgs): void {
    const l = host(loss)[0], x = host(logits);
    const e = this.rowExps(x, rows, cols);
    tallyPredictionsHost(host(sums), x, host(labels), l, lossScale, rows, cols, e);
  }

  /**
   * The {@link RowExps} of `[rows, cols]` logits for the cross-entropy and the tally: computed
   * at every call here; a subclass may hand back ones it computed for the same values.
   */
  protected rowExps(logits: Float32Array, rows: number, cols: number): RowExps {
    return rowExps(logits, rows, cols);
  }

  gatherSamples(
    images: Storage,
    labels: Storage,
    idx: Storage,
    width: number,
  ): { x: Storage; y: Storage } {
    const ix = host(idx);
    const x = new Float32Array(ix.length * width), y = new Float32Array(ix.length);
    gatherSamplesHost(host(images), host(labels), ix, width, x, y);
    return { x: wrap(x), y: wrap(y) };
  }

  argmax(x: Storage, rows: number, cols: number): Storage {
    const src = host(x);
    const out = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < cols; c++) if (src[r * cols + c] > src[r * cols + best]) best = c;
      out[r] = best;
    }
    return wrap(out);
  }

  axpy(dst: Storage, src: Storage, alpha: number): void {
    const d = host(dst), s = host(src);
    for (let i = 0; i < d.length; i++) d[i] += alpha * s[i];
  }

  copy(dst: Storage, src: Storage): void {
    host(dst).set(host(src));
  }

  optimizerStep({ kernel, params, grads, state, hyper }: OptimizerStepArgs): void {
    kernel.update(host(params), host(grads), state.map(host), hyper);
  }

  dot(a: Storage, b: Storage): Storage {
    const x = host(a), y = host(b);
    if (x.length !== y.length) {
      throw new ShapeError("dot", `expected storages of one size, got ${x.length} and ${y.length}`);
    }
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += x[i] * y[i];
    return wrap(Float32Array.of(sum));
  }

  maxAbs(x: Storage): Storage {
    let max = 0;
    for (const v of host(x)) max = Math.abs(v) > max || Number.isNaN(v) ? Math.abs(v) : max;
    return wrap(Float32Array.of(max));
  }

  markNonFinite(flag: Storage, x: Storage, mark: number): void {
    const f = host(flag);
    if (f[0] !== 0) return;
    const d = host(x);
    for (let i = 0; i < d.length; i++) {
      // v − v is 0 for every finite v and NaN for NaN and ±∞.
      if (d[i] - d[i] !== 0) return f.set([mark, Math.floor(i / 65536), i % 65536]);
    }
  }

  scaleToNorm(x: Storage, norm: Storage, maxNorm: number): void {
    const d = host(x);
    const coef = Math.min(1, Math.fround(maxNorm / Math.fround(host(norm)[0] + 1e-6)));
    for (let i = 0; i < d.length; i++) d[i] *= coef;
  }

  clampAbs(x: Storage, limit: number): void {
    const d = host(x);
    for (let i = 0; i < d.length; i++) d[i] = Math.min(Math.max(d[i], -limit), limit);
  }

  permute(x: Storage, shape: readonly number[], dims: readonly number[]): Storage {
    return wrap(permuteHost(host(x), shape, dims));
  }

  im2col(x: Storage, win: Window2d): Storage {
    return wrap(im2colHost(host(x), win));
  }

  col2im(cols: Storage, win: Window2d): Storage {
    return wrap(col2imHost(host(cols), win));
  }

  maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage } {
    const { out, indices } = maxPool2dHost(host(x), win);
    return { out: wrap(out), indices: wrap(indices) };
  }

  maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage {
    return wrap(maxPool2dBackwardHost(host(gy), host(indices), win));
  }

  avgPool2d(x: Storage, win: AvgWindow2d): Storage {
    return wrap(avgPool2dHost(host(x), win));
  }

  avgPool2dBackward(gy: Storage, win: AvgWindow2d): Storage {
    return wrap(avgPool2dBackwardHost(host(gy), win));
  }

  adaptiveAvgPool2d(x: Storage, planes: Planes2d): Storage {
    return wrap(adaptiveAvgPool2dHost(host(x), planes));
  }

  adaptiveAvgPool2dBackward(gy: Storage, planes: Planes2d): Storage {
    return wrap(adaptiveAvgPool2dBackwardHost(host(gy), planes));
  }

  randomUniform(size: number, seed: number, offset: number): Storage {
    return wrap(philoxUniform(size, seed, offset));
  }

  batchNorm(args: BatchNormArgs): BatchNormStats & { y: Storage } {
    const { y, mean, variance } = batchNormHost(batchNormOperands(args));
    return { y: wrap(y), mean: wrap(mean), variance: wrap(variance) };
  }

  batchNormBackward(args: BatchNormBackwardArgs): BatchNormGrads {
    const r = batchNormBackwardHost(batchNormBackwardOperands(args));
    return {
      gx: wrap(r.gx),
      gWeight: r.gWeight && wrap(r.gWeight),
      gBias: r.gBias && wrap(r.gBias),
    };
  }
}

/** {@link BatchNormArgs} on host arrays (also the fast CPU backend's). */
export function batchNormOperands(args: BatchNormArgs): BatchNormHostArgs {
  const { x, weight, bias, stats } = args;
  return {
    ...args,
    x: host(x),
    weight: weight && host(weight),
    bias: bias && host(bias),
    stats: stats && { mean: host(stats.mean), variance: host(stats.variance) },
  };
}

/** {@link BatchNormBackwardArgs} on host arrays (also the fast CPU backend's). */
export function batchNormBackwardOperands(args: BatchNormBackwardArgs): BatchNormBackwardHostArgs {
  const { x, gy, mean, variance, weight } = args;
  return {
    ...args,
    x: host(x),
    gy: host(gy),
    mean: host(mean),
    variance: host(variance),
    weight: weight && host(weight),
  };
}
