/**
 * The uniform parameters that describe NCHW planes and a sliding window over them
 * (`Planes2d`, `Window2d`), and the kernels that walk those planes one thread per output or
 * per input element; shared by the convolution and pooling kernels.
 *
 * @module
 */

import type { AvgWindow2d, Planes2d, Window2d } from "../../core/backend.ts";
import { type Access, defineKernel, type Kernel, memoKernel, type ParamField } from "./kernel.ts";
import perInput from "./per_input.wgsl" with { type: "text" };
import perOutput from "./per_output.wgsl" with { type: "text" };

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

/** {@link windowParams}, then `count_include_pad` (0 or 1) and `divisor_override` (0 for none). */
export function avgWindowParams(win: AvgWindow2d): number[] {
  return [...windowParams(win), win.countIncludePad ? 1 : 0, win.divisorOverride ?? 0];
}

/** Everything {@link planeKernel} needs. */
export interface PlaneKernelSpec {
  key: string;
  bindings: readonly (readonly [name: string, access: Access])[];
  params: readonly ParamField[];
  /**
   * What one thread stands for: an `output` element (the WGSL defines
   * `output_element(e, oy, ox, base)`, base = where its input plane starts) or an `input`
   * element (`input_element(e, iy, ix, plane)`, plane = b·c + ci).
   */
  thread: "output" | "input";
  /** WGSL helpers and the element function, appended after the entry point. */
  sources: readonly string[];
}

/** The kernel cached under `spec.key`: the entry point for its thread, then `spec.sources`. */
export function planeKernel(spec: PlaneKernelSpec): Kernel {
  const { key, bindings, params, thread, sources } = spec;
  const entry = thread === "output" ? perOutput : perInput;
  return memoKernel(
    key,
    () => defineKernel({ key, bindings, params, sources: [entry, ...sources] }),
  );
}
