/**
 * im2col and its adjoint col2im, the two halves of convolution that are not a matrix
 * product. Both are one thread per element written, so col2im gathers the column entries
 * of each input element instead of scattering (no atomics, a fixed summation order).
 *
 * @module
 */

import col2im from "./col2im.wgsl" with { type: "text" };
import im2col from "./im2col.wgsl" with { type: "text" };
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import { planeKernel, WINDOW_PARAMS } from "./window.ts";
import windowTap from "./window_tap.wgsl" with { type: "text" };

/** `cols = im2col(x)`; one thread per column entry. */
export function im2colKernel(): Kernel {
  return memoKernel("im2col", (key) =>
    defineKernel({
      key,
      bindings: [["x", "read"], ["cols", "read_write"]],
      params: WINDOW_PARAMS,
      sources: [im2col],
    }));
}

/** `x = col2im(cols)`; one thread per input element. */
export function col2imKernel(): Kernel {
  return planeKernel({
    key: "col2im",
    bindings: [["cols", "read"], ["x", "read_write"]],
    params: WINDOW_PARAMS,
    thread: "input",
    sources: [windowTap, col2im],
  });
}
