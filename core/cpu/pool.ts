/**
 * Max, average and adaptive average pooling over NCHW planes and their input gradients, on
 * host arrays: the reference for the GPU kernels, with PyTorch's window and divisor rules.
 * Gradients accumulate in float64 where windows overlap.
 *
 * @module
 */

import type { AvgWindow2d, Planes2d, Window2d } from "../backend.ts";

/**
 * Calls `visit` for every output of every plane with the plane's first input element, the
 * output's index and its position.
 */
function forEachOutput(
  p: Planes2d,
  visit: (inBase: number, outIndex: number, oy: number, ox: number) => void,
): void {
  const planes = p.n * p.c;
  for (let q = 0; q < planes; q++) {
    for (let oy = 0; oy < p.outH; oy++) {
      for (let ox = 0; ox < p.outW; ox++) {
        visit(q * p.h * p.w, (q * p.outH + oy) * p.outW + ox, oy, ox);
      }
    }
  }
}

/** `F.max_pool2d` with its indices (see `Backend.maxPool2d`). */
export function maxPool2dHost(
  x: Float32Array,
  win: Window2d,
): { out: Float32Array; indices: Float32Array } {
  const size = win.n * win.c * win.outH * win.outW;
  const out = new Float32Array(size), indices = new Float32Array(size);
  forEachOutput(win, (base, o, oy, ox) => {
    let best = -Infinity, at = -1;
    for (let i = 0; i < win.kh; i++) {
      const iy = oy * win.strideH - win.padH + i * win.dilationH;
      if (iy < 0 || iy >= win.h) continue;
      for (let j = 0; j < win.kw; j++) {
        const ix = ox * win.strideW - win.padW + j * win.dilationW;
        if (ix < 0 || ix >= win.w) continue;
        const v = x[base + iy * win.w + ix];
        // Like PyTorch: the first tap inside the plane until a larger value (or a NaN) comes.
        if (at < 0 || v > best || Number.isNaN(v)) {
          best = v;
          at = iy * win.w + ix;
        }
      }
    }
    out[o] = best;
    indices[o] = at;
  });
  return { out, indices };
}

/** Each `gy` added at the plane position its index names. */
export function maxPool2dBackwardHost(
  gy: Float32Array,
  indices: Float32Array,
  win: Window2d,
): Float32Array {
  const gx = new Float64Array(win.n * win.c * win.h * win.w);
  forEachOutput(win, (base, o) => gx[base + indices[o]] += gy[o]);
  return Float32Array.from(gx);
}

/**
 * Rows (or columns) `[lo, hi)` of output `o`'s window inside the plane, and how many it
 * spans counting padding (PyTorch's `pool_size`).
 */
function avgSpan(o: number, stride: number, pad: number, k: number, size: number) {
  const start = o * stride - pad;
  const end = Math.min(start + k, size + pad);
  const padded = end - start;
  const lo = Math.max(start, 0), hi = Math.min(end, size);
  return { lo, hi, padded };
}

/** Calls `visit(inBase, out, lo/hi rows and columns, divisor)` per output of an average pool. */
function forEachAvgWindow(
  win: AvgWindow2d,
  visit: (
    base: number,
    o: number,
    y0: number,
    y1: number,
    x0: number,
    x1: number,
    d: number,
  ) => void,
): void {
  forEachOutput(win, (base, o, oy, ox) => {
    const r = avgSpan(oy, win.strideH, win.padH, win.kh, win.h);
    const c = avgSpan(ox, win.strideW, win.padW, win.kw, win.w);
    const divisor = win.divisorOverride ??
      (win.countIncludePad ? r.padded * c.padded : (r.hi - r.lo) * (c.hi - c.lo));
    visit(base, o, r.lo, r.hi, c.lo, c.hi, divisor);
  });
}

/** `F.avg_pool2d` with `ceil_mode=False` (see `Backend.avgPool2d`). */
export function avgPool2dHost(x: Float32Array, win: AvgWindow2d): Float32Array {
  const out = new Float32Array(win.n * win.c * win.outH * win.outW);
  forEachAvgWindow(win, (base, o, y0, y1, x0, x1, d) => {
    let sum = 0;
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) sum += x[base + iy * win.w + ix];
    }
    out[o] = sum / d;
  });
  return out;
}

/** Input gradient of {@link avgPool2dHost}. */
export function avgPool2dBackwardHost(gy: Float32Array, win: AvgWindow2d): Float32Array {
  const gx = new Float64Array(win.n * win.c * win.h * win.w);
  forEachAvgWindow(win, (base, o, y0, y1, x0, x1, d) => {
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) gx[base + iy * win.w + ix] += gy[o] / d;
    }
  });
  return Float32Array.from(gx);
}

/** Calls `visit` with each adaptive window's rows `[y0, y1)` and columns `[x0, x1)`. */
function forEachAdaptiveWindow(
  p: Planes2d,
  visit: (base: number, o: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  forEachOutput(p, (base, o, oy, ox) => {
    visit(
      base,
      o,
      Math.floor(oy * p.h / p.outH),
      Math.ceil((oy + 1) * p.h / p.outH),
      Math.floor(ox * p.w / p.outW),
      Math.ceil((ox + 1) * p.w / p.outW),
    );
  });
}

/** `F.adaptive_avg_pool2d` (see `Backend.adaptiveAvgPool2d`). */
export function adaptiveAvgPool2dHost(x: Float32Array, p: Planes2d): Float32Array {
  const out = new Float32Array(p.n * p.c * p.outH * p.outW);
  forEachAdaptiveWindow(p, (base, o, y0, y1, x0, x1) => {
    let sum = 0;
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) sum += x[base + iy * p.w + ix];
    }
    out[o] = sum / ((y1 - y0) * (x1 - x0));
  });
  return out;
}

/** Input gradient of {@link adaptiveAvgPool2dHost}. */
export function adaptiveAvgPool2dBackwardHost(gy: Float32Array, p: Planes2d): Float32Array {
  const gx = new Float64Array(p.n * p.c * p.h * p.w);
  forEachAdaptiveWindow(p, (base, o, y0, y1, x0, x1) => {
    const share = gy[o] / ((y1 - y0) * (x1 - x0));
    for (let iy = y0; iy < y1; iy++) {
      for (let ix = x0; ix < x1; ix++) gx[base + iy * p.w + ix] += share;
    }
  });
  return Float32Array.from(gx);
}
