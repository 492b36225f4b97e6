/**
 * Max, average and adaptive average pooling and their input gradients. Forward kernels
 * run one thread per output; backward kernels one per input element, gathering from the
 * outputs whose windows hold it, so overlapping windows need no atomics.
 *
 * @module
 */

import adaptiveAvgPool from "./adaptive_avg_pool.wgsl" with { type: "text" };
import adaptiveAvgPoolBackward from "./adaptive_avg_pool_backward.wgsl" with { type: "text" };
import adaptiveWindow from "./adaptive_window.wgsl" with { type: "text" };
import avgPool from "./avg_pool.wgsl" with { type: "text" };
import avgPoolBackward from "./avg_pool_backward.wgsl" with { type: "text" };
import avgWindow from "./avg_window.wgsl" with { type: "text" };
import type { Kernel, ParamField } from "./kernel.ts";
import maxPool from "./max_pool.wgsl" with { type: "text" };
import maxPoolBackward from "./max_pool_backward.wgsl" with { type: "text" };
import { planeKernel, PLANES_PARAMS, WINDOW_PARAMS } from "./window.ts";
import windowTap from "./window_tap.wgsl" with { type: "text" };

/** The average pool's parameters: the window, then its divisor options. */
export const AVG_POOL_PARAMS: readonly ParamField[] = [
  ...WINDOW_PARAMS,
  { name: "count_include_pad", type: "u32" },
  { name: "divisor_override", type: "f32" },
];

/** `out` and `idx` (plane index of each maximum, as f32) from `x`. */
export function maxPoolKernel(): Kernel {
  return planeKernel({
    key: "max_pool",
    bindings: [["x", "read"], ["out", "read_write"], ["idx", "read_write"]],
    params: WINDOW_PARAMS,
    thread: "output",
    sources: [maxPool],
  });
}

/** `gx` from `gy` and the forward's `idx`. */
export function maxPoolBackwardKernel(): Kernel {
  return planeKernel({
    key: "max_pool_backward",
    bindings: [["gy", "read"], ["idx", "read"], ["gx", "read_write"]],
    params: WINDOW_PARAMS,
    thread: "input",
    sources: [windowTap, maxPoolBackward],
  });
}

/** `out` from `x`; parameters {@link AVG_POOL_PARAMS}. */
export function avgPoolKernel(): Kernel {
  return planeKernel({
    key: "avg_pool",
    bindings: [["x", "read"], ["out", "read_write"]],
    params: AVG_POOL_PARAMS,
    thread: "output",
    sources: [avgWindow, avgPool],
  });
}

/** `gx` from `gy`; parameters {@link AVG_POOL_PARAMS}. */
export function avgPoolBackwardKernel(): Kernel {
  return planeKernel({
    key: "avg_pool_backward",
    bindings: [["gy", "read"], ["gx", "read_write"]],
    params: AVG_POOL_PARAMS,
    thread: "input",
    sources: [avgWindow, avgPoolBackward],
  });
}

/** `out` from `x`. */
export function adaptiveAvgPoolKernel(): Kernel {
  return planeKernel({
    key: "adaptive_avg_pool",
    bindings: [["x", "read"], ["out", "read_write"]],
    params: PLANES_PARAMS,
    thread: "output",
    sources: [adaptiveWindow, adaptiveAvgPool],
  });
}

/** `gx` from `gy`. */
export function adaptiveAvgPoolBackwardKernel(): Kernel {
  return planeKernel({
    key: "adaptive_avg_pool_backward",
    bindings: [["gy", "read"], ["gx", "read_write"]],
    params: PLANES_PARAMS,
    thread: "input",
    sources: [adaptiveWindow, adaptiveAvgPoolBackward],
  });
}
