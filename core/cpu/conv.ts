/**
 * im2col and col2im on host arrays: the reference for the GPU kernels. Both walk the same
 * (column entry, input element) pairs, so one is the other's adjoint by construction.
 *
 * @module
 */

import type { Window2d } from "../backend.ts";

/**
 * Calls `visit(col, src)` for every entry of the `[c·kh·kw, n·outH·outW]` column matrix
 * that reads input element `src` (entries that read padding are skipped).
 */
function forEachTap(win: Window2d, visit: (col: number, src: number) => void): void {
  const { n, c, h, w, kh, kw, outH, outW } = win;
  const plane = outH * outW, width = n * plane;
  for (let ci = 0; ci < c; ci++) {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const row = ((ci * kh + i) * kw + j) * width;
        for (let b = 0; b < n; b++) {
          const src = (b * c + ci) * h * w;
          for (let oy = 0; oy < outH; oy++) {
            const iy = oy * win.strideH - win.padH + i * win.dilationH;
            if (iy < 0 || iy >= h) continue;
            for (let ox = 0; ox < outW; ox++) {
              const ix = ox * win.strideW - win.padW + j * win.dilationW;
              if (ix < 0 || ix >= w) continue;
              visit(row + b * plane + oy * outW + ox, src + iy * w + ix);
            }
          }
        }
      }
    }
  }
}

/** The columns of NCHW `x` (see `Backend.im2col`), zeros where the window reads padding. */
export function im2colHost(x: Float32Array, win: Window2d): Float32Array {
  const out = new Float32Array(win.c * win.kh * win.kw * win.n * win.outH * win.outW);
  forEachTap(win, (col, src) => out[col] = x[src]);
  return out;
}

/** Sums each column entry into the input element it reads (see `Backend.col2im`), in float64. */
export function col2imHost(cols: Float32Array, win: Window2d): Float32Array {
  const acc = new Float64Array(win.n * win.c * win.h * win.w);
  forEachTap(win, (col, src) => acc[src] += cols[col]);
  return Float32Array.from(acc);
}
