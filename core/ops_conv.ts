/**
 * Convolution and pooling over NCHW tensors, in the same op-table style as `ops.ts` and run
 * by its `apply`. Convolution is composed, not a primitive: `im2col` unfolds the input into
 * columns (group-major), one batched product per group multiplies them by the weights,
 * and a permute puts the channels back in NCHW order; autograd differentiates the
 * composition, `col2im` (im2col's adjoint) carrying the gradient back to the input.
 * Pooling ops are primitives with their own backward kernels.
 *
 * @module
 */

import type { AvgWindow2d, Planes2d, Storage, Window2d } from "./backend.ts";
import { ShapeError, UsageError } from "./errors.ts";
import { add, apply, type OpDef, reshape } from "./ops.ts";
import { sizeOf } from "./shape.ts";
import { Tensor } from "./tensor.ts";

/** A size per spatial dimension: one number for both, or `[h, w]` (PyTorch's `_pair`). */
export type Size2d = number | readonly [number, number];

/** Attributes of a batched matrix product. */
export interface BmmAttrs {
  /** Each matrix of A is stored transposed, `[B, K, M]`. */
  transA: boolean;
  /** Each matrix of B is stored transposed, `[B, N, K]`. */
  transB: boolean;
}

/** Attributes of max pooling: its window, and the argmax indices its forward keeps for backward. */
export interface MaxPoolAttrs {
  win: Window2d;
  /** Set by the forward pass: each output's argmax (PyTorch's `save_for_backward`). */
  indices: Storage | null;
}

const colsShape = (w: Window2d) => [w.c * w.kh * w.kw, w.n * w.outH * w.outW];
const outShape = (p: Planes2d) => [p.n, p.c, p.outH, p.outW];
const inShape = (p: Planes2d) => [p.n, p.c, p.h, p.w];

/** The op table of this module: every entry differentiable, run through `apply`. */
export const convOpTable = {
  bmm: {
    forward: ([a, b], { transA, transB }) => {
      const [batch, m, k] = transA ? [a.shape[0], a.shape[2], a.shape[1]] : a.shape;
      const [batch2, k2, n] = transB ? [b.shape[0], b.shape[2], b.shape[1]] : b.shape;
      if (a.shape.length !== 3 || b.shape.length !== 3 || batch !== batch2 || k !== k2) {
        throw new ShapeError(
          "bmm",
          `expected [B, M, K] and [B, K, N] (after transA=${transA}, transB=${transB}), got ` +
            `[${a.shape}] and [${b.shape}]`,
        );
      }
      return {
        storage: a.backend.matmul({ a: a.storage, b: b.storage, m, k, n, transA, transB, batch }),
        shape: [batch, m, n],
      };
    },
    vjp: (g, _y, [a, b], { transA, transB }) => [
      !a.requiresGrad ? null : transA ? bmm(b, g, transB, true) : bmm(g, b, false, !transB),
      !b.requiresGrad ? null : transB ? bmm(g, a, true, transA) : bmm(a, g, !transA, false),
    ],
  } satisfies OpDef<BmmAttrs>,

  permute: {
    forward: ([x], dims) => ({
      storage: x.backend.permute(x.storage, x.shape, dims),
      shape: dims.map((d) => x.shape[d]),
    }),
    vjp: (g, _y, _x, dims) => {
      const inverse = new Array<number>(dims.length);
      dims.forEach((d, i) => inverse[d] = i);
      return [permute(g, inverse)];
    },
  } satisfies OpDef<readonly number[]>,

  im2col: {
    forward: ([x], win) => ({ storage: x.backend.im2col(x.storage, win), shape: colsShape(win) }),
    vjp: (g, _y, _x, win) => [col2im(g, win)],
  } satisfies OpDef<Window2d>,

  col2im: {
    forward: ([cols], win) => ({
      storage: cols.backend.col2im(cols.storage, win),
      shape: inShape(win),
    }),
    vjp: (g, _y, _x, win) => [im2col(g, win)],
  } satisfies OpDef<Window2d>,

  maxPool2d: {
    forward: ([x], attrs) => {
      const { out, indices } = x.backend.maxPool2d(x.storage, attrs.win);
      attrs.indices = indices;
      return { storage: out, shape: outShape(attrs.win) };
    },
    vjp: (g, _y, [x], { win, indices }) => [
      new Tensor(x.backend, x.backend.maxPool2dBackward(g.storage, indices!, win), x.shape),
    ],
  } satisfies OpDef<MaxPoolAttrs>,

  avgPool2d: {
    forward: ([x], win) => ({
      storage: x.backend.avgPool2d(x.storage, win),
      shape: outShape(win),
    }),
    vjp: (g, _y, [x], win) => [
      new Tensor(x.backend, x.backend.avgPool2dBackward(g.storage, win), x.shape),
    ],
  } satisfies OpDef<AvgWindow2d>,

  adaptiveAvgPool2d: {
    forward: ([x], planes) => ({
      storage: x.backend.adaptiveAvgPool2d(x.storage, planes),
      shape: outShape(planes),
    }),
    vjp: (g, _y, [x], planes) => [
      new Tensor(x.backend, x.backend.adaptiveAvgPool2dBackward(g.storage, planes), x.shape),
    ],
  } satisfies OpDef<Planes2d>,
};

/**
 * Batched matrix product of `[B, M, K]` by `[B, K, N]` (`torch.bmm`), either operand
 * optionally transposed in its last two dimensions.
 */
export function bmm(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  return apply("bmm", convOpTable.bmm, [a, b], { transA, transB });
}

/**
 * `x` with its dimensions reordered (`torch.permute`), as a new contiguous tensor: output
 * dimension `i` is input dimension `dims[i]`; negative entries count from the end.
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const rank = x.shape.length;
  const resolved = dims.map((d) => (d < 0 ? d + rank : d));
  const isPermutation = resolved.length === rank &&
    resolved.every((d, i) =>
      Number.isInteger(d) && d >= 0 && d < rank && resolved.indexOf(d) === i
    );
  if (!isPermutation) {
    throw new ShapeError(
      "permute",
      `dims [${dims}] are not a permutation of the ${rank} dims of [${x.shape}]`,
    );
  }
  if (resolved.every((d, i) => d === i)) return x;
  return apply("permute", convOpTable.permute, [x], resolved);
}

/**
 * The columns of NCHW `x` under window `win` (see `Backend.im2col`): `[C·kh·kw, N·outH·outW]`,
 * channel-major rows and sample-major columns (PyTorch's `F.unfold` gives the same values
 * as `[N, C·kh·kw, outH·outW]`).
 */
export function im2col(x: Tensor, win: Window2d): Tensor {
  expectShape("im2col", x.shape, inShape(win));
  return apply("im2col", convOpTable.im2col, [x], win);
}

/** The adjoint of {@link im2col}: sums columns back into an NCHW tensor (like `F.fold`). */
export function col2im(cols: Tensor, win: Window2d): Tensor {
  expectShape("col2im", cols.shape, colsShape(win));
  return apply("col2im", convOpTable.col2im, [cols], win);
}

/** Options of {@link conv2d}, PyTorch's arguments (padding is zeros; no "same"/"valid"). */
export interface Conv2dOptions {
  /** Step of the window (default 1). */
  stride?: Size2d;
  /** Zeros added on each side (default 0). */
  padding?: Size2d;
  /** Spacing between window taps (default 1). */
  dilation?: Size2d;
  /** Channel groups: each output channel sees `C / groups` input channels (default 1). */
  groups?: number;
}

/**
 * 2-D convolution (`F.conv2d`, really cross-correlation) of `x` `[N, C, H, W]` (or unbatched
 * `[C, H, W]`) with `weight` `[O, C / groups, kh, kw]` and optional `bias` `[O]`.
 * @example
 * ```ts
 * import { conv2d, createCpuBackend, tensor } from "../mod.ts";
 * const b = createCpuBackend();
 * const x = tensor(b, [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
 * const w = tensor(b, [1, 0, 0, 1], [1, 1, 2, 2]);
 * console.log(await conv2d(x, w).toArray()); // Float32Array [6, 8, 12, 14]
 * ```
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  return unbatched("conv2d", x, (x4) => {
    const [n, c] = x4.shape;
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) {
      throw new UsageError("conv2d", `groups must be a positive integer, got ${groups}`);
    }
    const [out, cg, kh, kw] = weight.shape;
    if (
      weight.shape.length !== 4 || out % groups !== 0 || cg * groups !== c || !(kh > 0 && kw > 0)
    ) {
      throw new ShapeError(
        "conv2d",
        `input [${x.shape}] with groups=${groups} needs a weight [O, ${c / groups}, kh, kw] ` +
          `with O divisible by ${groups}, got [${weight.shape}]`,
      );
    }
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== out)) {
      throw new ShapeError(
        "conv2d",
        `weight [${weight.shape}] needs a bias [${out}], got [${bias.shape}]`,
      );
    }
    const win = window2d(
      "conv2d",
      x4.shape,
      [kh, kw],
      options.stride ?? 1,
      options.padding ?? 0,
      options.dilation ?? 1,
    );
    const plane = win.outH * win.outW;
    const k = cg * kh * kw;
    const cols = reshape(im2col(x4, win), [groups, k, n * plane]);
    const product = bmm(reshape(weight, [groups, out / groups, k]), cols);
    // [O, N, plane] → [N, O, plane]: a copy unless N = 1.
    let y = n === 1
      ? reshape(product, [1, out, plane])
      : permute(reshape(product, [out, n, plane]), [1, 0, 2]);
    if (bias) y = add(y, reshape(bias, [out, 1]));
    return reshape(y, [n, out, win.outH, win.outW]);
  });
}

/** Options of {@link maxPool2d} (`ceil_mode=False` only). */
export interface MaxPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Size2d | null;
  /** Implicit −∞ added on each side, at most half the kernel size (default 0). */
  padding?: Size2d;
  /** Spacing between window taps (default 1). */
  dilation?: Size2d;
}

/**
 * Max over each window (`F.max_pool2d`) of `[N, C, H, W]` (or `[C, H, W]`); the gradient
 * goes to the first maximum of each window, as in PyTorch.
 */
export function maxPool2d(x: Tensor, kernelSize: Size2d, options: MaxPool2dOptions = {}): Tensor {
  return unbatched("maxPool2d", x, (x4) => {
    const win = poolWindow("maxPool2d", x4.shape, kernelSize, options, options.dilation ?? 1);
    return apply("maxPool2d", convOpTable.maxPool2d, [x4], { win, indices: null });
  });
}

/** Options of {@link avgPool2d} (`ceil_mode=False` only). */
export interface AvgPool2dOptions {
  /** Step of the window (default: the kernel size). */
  stride?: Size2d | null;
  /** Zeros added on each side, at most half the kernel (default 0). */
  padding?: Size2d;
  /** Count padded zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (default null). */
  divisorOverride?: number | null;
}

/** Mean over each window (`F.avg_pool2d`) of `[N, C, H, W]` (or `[C, H, W]`). */
export function avgPool2d(x: Tensor, kernelSize: Size2d, options: AvgPool2dOptions = {}): Tensor {
  return unbatched("avgPool2d", x, (x4) => {
    const win = poolWindow("avgPool2d", x4.shape, kernelSize, options, 1);
    const divisorOverride = options.divisorOverride ?? null;
    if (divisorOverride !== null && !(Number.isInteger(divisorOverride) && divisorOverride !== 0)) {
      throw new UsageError(
        "avgPool2d",
        `divisor_override must be a nonzero integer, got ${divisorOverride}`,
      );
    }
    return apply("avgPool2d", convOpTable.avgPool2d, [x4], {
      ...win,
      countIncludePad: options.countIncludePad ?? true,
      divisorOverride,
    });
  });
}

/**
 * `F.adaptive_avg_pool2d`: averages `[N, C, H, W]` (or `[C, H, W]`) down to `outputSize`
 * (one number for both, or `[h, w]` where null keeps that input size), output row `i`
 * covering input rows `⌊i·H/h⌋` to `⌈(i+1)·H/h⌉ − 1`.
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | readonly [number | null, number | null],
): Tensor {
  return unbatched("adaptiveAvgPool2d", x, (x4) => {
    const [n, c, h, w] = x4.shape;
    const [oh, ow] = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
    const planes = { n, c, h, w, outH: oh ?? h, outW: ow ?? w };
    if (![planes.outH, planes.outW].every((s) => Number.isInteger(s) && s >= 1)) {
      throw new UsageError(
        "adaptiveAvgPool2d",
        `output_size must be positive integers (or null), got ${JSON.stringify(outputSize)}`,
      );
    }
    return apply("adaptiveAvgPool2d", convOpTable.adaptiveAvgPool2d, [x4], planes);
  });
}

/**
 * Merges dimensions `startDim` to `endDim` (inclusive; negative counts from the end) into
 * one (`torch.flatten`); no copy.
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const rank = Math.max(x.shape.length, 1);
  const [s, e] = [startDim, endDim].map((d) => (d < 0 ? d + rank : d));
  if (![s, e].every((d) => Number.isInteger(d) && d >= 0 && d < rank) || s > e) {
    throw new ShapeError(
      "flatten",
      `start_dim ${startDim} and end_dim ${endDim} must be dims of [${x.shape}] with start ≤ end`,
    );
  }
  if (x.shape.length === 0) return reshape(x, [1]);
  const merged = sizeOf(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/** Runs `fn` on a 4-D view of `x`, accepting unbatched `[C, H, W]` like PyTorch. */
function unbatched(where: string, x: Tensor, fn: (x4: Tensor) => Tensor): Tensor {
  if (x.shape.length === 4) return fn(x);
  if (x.shape.length !== 3) {
    throw new ShapeError(
      where,
      `expected a 4-D [N, C, H, W] or 3-D [C, H, W] input, got [${x.shape}]`,
    );
  }
  const y = fn(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}

/** `value` as `[h, w]`, each an integer ≥ `min`; a UsageError naming `arg` otherwise. */
function pair(where: string, arg: string, value: Size2d, min: number): [number, number] {
  const [a, b] = typeof value === "number" ? [value, value] : value;
  if (
    ![a, b].every((v) => Number.isInteger(v) && v >= min) ||
    (typeof value !== "number" && value.length !== 2)
  ) {
    throw new UsageError(
      where,
      `${arg} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(value)}`,
    );
  }
  return [a, b];
}

/** The window geometry over input `shape` `[N, C, H, W]`, checked to give an output. */
function window2d(
  where: string,
  shape: readonly number[],
  [kh, kw]: readonly [number, number],
  stride: Size2d,
  padding: Size2d,
  dilation: Size2d,
): Window2d {
  const [n, c, h, w] = shape;
  const [strideH, strideW] = pair(where, "stride", stride, 1);
  const [padH, padW] = pair(where, "padding", padding, 0);
  const [dilationH, dilationW] = pair(where, "dilation", dilation, 1);
  const spanH = dilationH * (kh - 1) + 1, spanW = dilationW * (kw - 1) + 1;
  if (h + 2 * padH < spanH || w + 2 * padW < spanW) {
    throw new ShapeError(
      where,
      `the ${spanH}x${spanW} (dilated) kernel is larger than the padded input ` +
        `${h + 2 * padH}x${w + 2 * padW} of [${shape}]`,
    );
  }
  return {
    n,
    c,
    h,
    w,
    kh,
    kw,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    outH: Math.floor((h + 2 * padH - spanH) / strideH) + 1,
    outW: Math.floor((w + 2 * padW - spanW) / strideW) + 1,
  };
}

/** PyTorch's pooling rule: padding at most half the kernel size on each side. */
/**
 * A pooling op's window over `[N, C, H, W]` `shape`: the stride defaults to the kernel
 * size, the padding to 0 and may be at most half the kernel, as PyTorch requires.
 */
function poolWindow(
  where: string,
  shape: readonly number[],
  kernelSize: Size2d,
  options: { stride?: Size2d | null; padding?: Size2d },
  dilation: Size2d,
): Window2d {
  const win = window2d(
    where,
    shape,
    pair(where, "kernel_size", kernelSize, 1),
    options.stride ?? kernelSize,
    options.padding ?? 0,
    dilation,
  );
  if (2 * win.padH > win.kh || 2 * win.padW > win.kw) {
    throw new UsageError(
      where,
      `padding must be at most half the kernel size: padding (${win.padH}, ${win.padW}) ` +
        `for a ${win.kh}x${win.kw} kernel`,
    );
  }
  return win;
}

function expectShape(where: string, got: readonly number[], want: readonly number[]): void {
  if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
    throw new ShapeError(where, `expected [${want}] for this window, got [${got}]`);
  }
}
