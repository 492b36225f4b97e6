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
      const out = ctx.allocate(win.c * win.kh * win.kw * win.n * win.outH * win.outW);
      ctx.run(im2colKernel(), [x, out], windowParams(win), flatGroups(out.size));
      return out;
    },

    col2im(cols: Storage, win: Window2d): Storage {
      const out = ctx.allocate(win.n * win.c * win.h * win.w);
      ctx.run(col2imKernel(), [cols, out], windowParams(win), flatGroups(out.size));
      return out;
    },

    maxPool2d(x: Storage, win: Window2d): { out: Storage; indices: Storage } {
      const size = win.n * win.c * win.outH * win.outW;
      const out = ctx.allocate(size), indices = ctx.allocate(size);
      ctx.run(maxPoolKernel(), [x, out, indices], windowParams(win), flatGroups(size));
      return { out, indices };
    },

    maxPool2dBackward(gy: Storage, indices: Storage, win: Window2d): Storage {
      const gx = ctx.allocate(win.n * win.c * win.h * win.w);
      ctx.run(maxPoolBackwardKernel(), [gy, indices, gx], windowParams(win), flatGroups(gx.size));
      return gx;
    },

    avgPool2d(x: Storage, win: AvgWindow2d): Storage {
      const out = ctx.allocate(win.n * win.c * win.outH * win.outW);
      ctx.run(avgPoolKernel(), [x, out], avgWindowParams(win), flatGroups(out.size));
      return out;
    },

    avgPool2dBackward(gy: Storage, win: AvgWindow2d): Storage {
      const gx = ctx.allocate(win.n * win.c * win.h * win.w);
      ctx.run(avgPoolBackwardKernel(), [gy, gx], avgWindowParams(win), flatGroups(gx.size));
      return gx;
    },

    adaptiveAvgPool2d(x: Storage, planes: Planes2d): Storage {
      const out = ctx.allocate(planes.n * planes.c * planes.outH * planes.outW);
      ctx.run(adaptiveAvgPoolKernel(), [x, out], planesParams(planes), flatGroups(out.size));
      return out;
    },

    adaptiveAvgPool2dBackward(gy: Storage, planes: Planes2d): Storage {
      const gx = ctx.allocate(planes.n * planes.c * planes.h * planes.w);
      const kernel = adaptiveAvgPoolBackwardKernel();
      ctx.run(kernel, [gy, gx], planesParams(planes), flatGroups(gx.size));
      return gx;
    },
  };
}
