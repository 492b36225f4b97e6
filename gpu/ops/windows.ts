/**
 * The WebGPU backend's sliding-window ops: im2col and col2im (convolution as a product),
 * max and average pooling and adaptive average pooling, forward and backward.
 *
 * @module
 */

import type { AvgWindow2d, Backend, Planes2d, Storage, Window2d } from "../../core/backend.ts";
import { col2imKernel, im2colKernel } from "../kernels/conv.ts";
import {
  adaptiveAvgPoolBackwardKernel,
  adaptiveAvgPoolKernel,
  avgPoolBackwardKernel,
  avgPoolKernel,
  maxPoolBackwardKernel,
  maxPoolKernel,
} from "../kernels/pool.ts";
import { avgWindowParams, planesParams, windowParams } from "../kernels/window.ts";
import { flatGroups, type OpContext } from "../op_context.ts";

/** The window methods of a {@link Backend}. */
export type WindowOps = Pick<
  Backend,
  | "im2col"
  | "col2im"
  | "maxPool2d"
  | "maxPool2dBackward"
  | "avgPool2d"
  | "avgPool2dBackward"
  | "adaptiveAvgPool2d"
  | "adaptiveAvgPool2dBackward"
>;

/** {@link WindowOps} recorded through `ctx`, one thread per output element. */
export function windowOps(ctx: OpContext): WindowOps {
  return {
    im2col(x: Storage, win: Window2d): Storage {
      const size = win.c * win.kh * win.kw * win.n * win.outH * win.outW;
      return ctx.produce(im2colKernel(), [x], windowParams(win), size);
    },

    col2im(cols: Storage, win: Window2d): Storage {
      return ctx.produce(col2imKernel(), [cols], windowParams(win), win.n * win.c * win.h * win.w);
    },

    maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage } {
      const size = win.n * win.c * win.outH * win.outW;
      const out = ctx.allocate(size), indices = ctx.allocate(size);
      ctx.run(maxPoolKernel(), [x, out, indices], windowParams(win), flatGroups(size));
      return { out, indices };
    },

    maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage {
      const size = win.n * win.c * win.h * win.w;
      return ctx.produce(maxPoolBackwardKernel(), [gy, indices], windowParams(win), size);
    },

    avgPool2d(x: Storage, win: AvgWindow2d): Storage {
      const size = win.n * win.c * win.outH * win.outW;
      return ctx.produce(avgPoolKernel(), [x], avgWindowParams(win), size);
    },

    avgPool2dBackward(gy: Storage, win: AvgWindow2d): Storage {
      const size = win.n * win.c * win.h * win.w;
      return ctx.produce(avgPoolBackwardKernel(), [gy], avgWindowParams(win), size);
    },

    adaptiveAvgPool2d(x: Storage, planes: Planes2d): Storage {
      const size = planes.n * planes.c * planes.outH * planes.outW;
      return ctx.produce(adaptiveAvgPoolKernel(), [x], planesParams(planes), size);
    },

    adaptiveAvgPool2dBackward(gy: Storage, planes: Planes2d): Storage {
      const size = planes.n * planes.c * planes.h * planes.w;
      return ctx.produce(adaptiveAvgPoolBackwardKernel(), [gy], planesParams(planes), size);
    },
  };
}
