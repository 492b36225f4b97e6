/**
 * The uniform parameters that describe NCHW planes and a sliding window over them
 * (`Planes2d`, `Window2d`), shared by the convolution and pooling kernels.
 *
 * @module
 */

import type { Planes2d, Window2d } from "../../core/backend.ts";
import type { ParamField } from "./kernel.ts";

const u32 = (name: string): ParamField => ({ name, type: "u32" });

/** `n, c, h, w, out_h, out_w`. */
export const PLANES_PARAMS: readonly ParamField[] = ["n", "c", "h", "w", "out_h", "out_w"].map(u32);

/** {@link PLANES_PARAMS}, then the window's kernel, stride, padding and dilation. */
export const WINDOW_PARAMS: readonly ParamField[] = [
  ...PLANES_PARAMS,
  ...["kh", "kw", "stride_h", "stride_w", "pad_h", "pad_w", "dilation_h", "dilation_w"].map(u32),
];

/** Values of {@link PLANES_PARAMS}. */
export function planesParams(p: Planes2d): number[] {
  return [p.n, p.c, p.h, p.w, p.outH, p.outW];
}

/** Values of {@link WINDOW_PARAMS}. */
export function windowParams(win: Window2d): number[] {
  return [
    ...planesParams(win),
    win.kh,
    win.kw,
    win.strideH,
    win.strideW,
    win.padH,
    win.padW,
    win.dilationH,
    win.dilationW,
  ];
}
