/**
 * Max pooling and its gradient for the fast CPU backend: the reference's loops
 * (`core/cpu/pool.ts`) written out flat, without a call per output, and with the float64
 * gradient converted to f32 in one typed-array copy. Bitwise the reference's results.
 *
 * @module
 */

import type { Window2d } from "../core/backend.ts";
import { type Alloc, freshArray } from "./buffer_pool.ts";

/** `F.max_pool2d` with its indices, as `Backend.maxPool2d`. */
export function maxPool2dFast(
  x: Float32Array,
  win: Window2d,
  alloc: Alloc = freshArray,
): { out: Float32Array; indices: Float32Array } {
  const { h, w, kh, kw, outH, outW, strideH, strideW, padH, padW, dilationH, dilationW } = win;
  const size = win.n * win.c * outH * outW;
  const out = alloc(size), indices = alloc(size);
  if (isPlain2x2(win)) {
    pool2x2(x, win, out, indices);
    return { out, indices };
  }
  let o = 0;
  for (let base = 0; base < win.n * win.c * h * w; base += h * w) {
    for (let oy = 0; oy < outH; oy++) {
      // The window's taps inside the plane, rows i0 ≤ i < i1 and columns j0 ≤ j < j1.
      const y0 = oy * strideH - padH;
      const i0 = y0 < 0 ? Math.ceil(-y0 / dilationH) : 0;
      const i1 = Math.min(kh, Math.ceil((h - y0) / dilationH));
      for (let ox = 0; ox < outW; ox++, o++) {
        const x0 = ox * strideW - padW;
        const j0 = x0 < 0 ? Math.ceil(-x0 / dilationW) : 0;
        const j1 = Math.min(kw, Math.ceil((w - x0) / dilationW));
        let best = -Infinity, at = -1;
        for (let i = i0; i < i1; i++) {
          const row = (y0 + i * dilationH) * w + x0;
          for (let j = j0; j < j1; j++) {
            const p = row + j * dilationW;
            const v = x[base + p];
            // As the reference: the first tap inside the plane until a larger value or a NaN.
            if (at < 0 || v > best || v !== v) {
              best = v;
              at = p;
            }
          }
        }
        out[o] = best;
        indices[o] = at;
      }
    }
  }
  return { out, indices };
}

/** The common 2×2 window with stride 2 and no padding or dilation: every tap is inside. */
function isPlain2x2(win: Window2d): boolean {
  return win.kh === 2 && win.kw === 2 && win.strideH === 2 && win.strideW === 2 &&
    win.padH === 0 && win.padW === 0 && win.dilationH === 1 && win.dilationW === 1;
}

/** {@link maxPool2dFast} for {@link isPlain2x2} windows: the same taps in the same order. */
function pool2x2(x: Float32Array, win: Window2d, out: Float32Array, indices: Float32Array): void {
  const { h, w, outH, outW } = win;
  let o = 0;
  for (let base = 0; base < win.n * win.c * h * w; base += h * w) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0, p = 2 * oy * w; ox < outW; ox++, o++, p += 2) {
        // The reference's rule: the first tap until a larger value or a NaN.
        let best = x[base + p], at = p;
        const b = x[base + p + 1], c = x[base + p + w], d = x[base + p + w + 1];
        if (b > best || b !== b) best = b, at = p + 1;
        if (c > best || c !== c) best = c, at = p + w;
        if (d > best || d !== d) best = d, at = p + w + 1;
        out[o] = best;
        indices[o] = at;
      }
    }
  }
}

/** Each `gy` added at the plane position its index names, as `Backend.maxPool2dBackward`. */
export function maxPool2dBackwardFast(
  gy: Float32Array,
  indices: Float32Array,
  win: Window2d,
  alloc: Alloc = freshArray,
): Float32Array {
  const plane = win.h * win.w, outPlane = win.outH * win.outW;
  // Windows that do not overlap give each position one gradient at most, which f32 holds
  // exactly: no float64 sums (and no fresh float64 array, whose page faults cost more).
  const disjoint = win.strideH > (win.kh - 1) * win.dilationH &&
    win.strideW > (win.kw - 1) * win.dilationW;
  const gx = disjoint
    ? alloc(win.n * win.c * plane).fill(0)
    : new Float64Array(win.n * win.c * plane);
  for (let q = 0, o = 0; q < win.n * win.c; q++) {
    const base = q * plane;
    for (let e = 0; e < outPlane; e++, o++) gx[base + indices[o]] += gy[o];
  }
  if (gx instanceof Float32Array) return gx;
  const out = alloc(gx.length);
  out.set(gx);
  return out;
}
