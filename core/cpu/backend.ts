/**
 * The CPU reference backend: every op as a plain loop over `Float32Array`s. Slow,
 * obvious and exact; the WebGPU backend is tested against it.
 *
 * @module
 */

import type { Backend, FusedActivation, OptimizerHyper, ReduceOp, Storage } from "../backend.ts";
import { type BinaryOpName, binaryOps, type UnaryOpName, unaryOps } from "../elementwise.ts";
import type { OptimizerKind } from "../optim/kinds.ts";
import { optimizerUpdate } from "../optim/update.ts";
import { broadcastStrides, sizeOf } from "../shape.ts";
import { matmulHost } from "./matmul.ts";

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

const activationOf: Record<Exclude<FusedActivation, "none">, UnaryOpName> = {
  relu: "relu",
  tanh: "tanh",
  sigmoid: "sigmoid",
};
const activationGradOf: Record<Exclude<FusedActivation, "none">, BinaryOpName> = {
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

class CpuBackend implements Backend {
  readonly name = "cpu";
  readonly description = "CPU reference (Float32Array)";
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

  unary(op: UnaryOpName, x: Storage, alpha = 0): Storage {
    const f = unaryOps[op];
    const src = host(x);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = f(src[i], alpha);
    return wrap(out);
  }

  binary(
    op: BinaryOpName,
    a: Storage,
    aShape: readonly number[],
    b: Storage,
    bShape: readonly number[],
    outShape: readonly number[],
  ): Storage {
    const f = binaryOps[op];
    const x = host(a), y = host(b);
    const n = sizeOf(outShape);
    const out = new Float32Array(n);
    if (x.length === n && y.length === n) {
      for (let i = 0; i < n; i++) out[i] = f(x[i], y[i]);
      return wrap(out);
    }
    const sa = broadcastStrides(aShape, outShape);
    const sb = broadcastStrides(bShape, outShape);
    const rank = outShape.length;
    const index = new Array<number>(rank).fill(0);
    let ia = 0, ib = 0;
    for (let i = 0; i < n; i++) {
      out[i] = f(x[ia], y[ib]);
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
    return this.binary("add", x, shape, ZERO, [], outShape);
  }

  affine(x: Storage, mul: number, add: number): Storage {
    const src = host(x);
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i] * mul + add;
    return wrap(out);
  }

  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number): Storage {
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

  matmul(
    a: Storage,
    b: Storage,
    m: number,
    k: number,
    n: number,
    transA: boolean,
    transB: boolean,
  ): Storage {
    return wrap(matmulHost(host(a), host(b), m, k, n, transA, transB));
  }

  linear(
    x: Storage,
    w: Storage,
    b: Storage | null,
    m: number,
    k: number,
    n: number,
    act: FusedActivation,
  ): Storage {
    const y = matmulHost(host(x), host(w), m, k, n, false, true);
    const bias = b ? host(b) : null;
    const f = act === "none" ? null : unaryOps[activationOf[act]];
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        const v = y[r * n + c] + (bias ? bias[c] : 0);
        y[r * n + c] = f ? f(v, 0) : v;
      }
    }
    return wrap(y);
  }

  linearBackward(
    x: Storage,
    w: Storage,
    y: Storage,
    gy: Storage,
    m: number,
    k: number,
    n: number,
    act: FusedActivation,
    hasBias: boolean,
    needInputGrad: boolean,
  ): { gx: Storage | null; gw: Storage; gb: Storage | null } {
    let gz = host(gy);
    if (act !== "none") {
      const f = binaryOps[activationGradOf[act]];
      const out = host(y);
      gz = gz.map((g, i) => f(out[i], g));
    }
    const gx = needInputGrad ? matmulHost(gz, host(w), m, n, k, false, false) : null;
    const gw = matmulHost(gz, host(x), n, m, k, true, false);
    let gb: Float32Array | null = null;
    if (hasBias) {
      gb = new Float32Array(n);
      for (let r = 0; r < m; r++) for (let c = 0; c < n; c++) gb[c] += gz[r * n + c];
    }
    return { gx: gx && wrap(gx), gw: wrap(gw), gb: gb && wrap(gb) };
  }

  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage {
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

  optimizerStep(
    kind: OptimizerKind,
    params: Storage,
    grads: Storage,
    state: readonly Storage[],
    hyper: OptimizerHyper,
  ): void {
    optimizerUpdate(kind, host(params), host(grads), state.map(host), hyper);
  }
}
