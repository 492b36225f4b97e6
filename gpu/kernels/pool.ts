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
import { type Access, defineKernel, type Kernel, memoKernel, type ParamField } from "./kernel.ts";
import maxPool from "./max_pool.wgsl" with { type: "text" };
import maxPoolBackward from "./max_pool_backward.wgsl" with { type: "text" };
import { PLANES_PARAMS, WINDOW_PARAMS } from "./window.ts";

/** The average pool's parameters: the window, then its divisor options. */
export const AVG_POOL_PARAMS: readonly ParamField[] = [
  ...WINDOW_PARAMS,
  { name: "count_include_pad", type: "u32" },
  { name: "divisor_override", type: "f32" },
];

function poolKernel(
  key: string,
  bindings: readonly (readonly [string, Access])[],
  params: readonly ParamField[],
  sources: readonly string[],
): Kernel {
  return memoKernel(key, () => defineKernel({ key, bindings, params, sources }));
}

/** `out` and `idx` (plane index of each maximum, as f32) from `x`. */
export function maxPoolKernel(): Kernel {
  return poolKernel(
    "max_pool",
    [["x", "read"], ["out", "read_write"], ["idx", "read_write"]],
    WINDOW_PARAMS,
    [maxPool],
  );
}

/** `gx` from `gy` and the forward's `idx`. */
export function maxPoolBackwardKernel(): Kernel {
  return poolKernel(
    "max_pool_backward",
    [["gy", "read"], ["idx", "read"], ["gx", "read_write"]],
    WINDOW_PARAMS,
    [maxPoolBackward],
  );
}

/** `out` from `x`; parameters {@link AVG_POOL_PARAMS}. */
export function avgPoolKernel(): Kernel {
  return poolKernel(
    "avg_pool",
    [["x", "read"], ["out", "read_write"]],
    AVG_POOL_PARAMS,
    [avgWindow, avgPool],
  );
}

/** `gx` from `gy`; parameters {@link AVG_POOL_PARAMS}. */
export function avgPoolBackwardKernel(): Kernel {
  return poolKernel(
    "avg_pool_backward",
    [["gy", "read"], ["gx", "read_write"]],
    AVG_POOL_PARAMS,
    [avgWindow, avgPoolBackward],
  );
}

/** `out` from `x`. */
export function adaptiveAvgPoolKernel(): Kernel {
  return poolKernel(
    "adaptive_avg_pool",
    [["x", "read"], ["out", "read_write"]],
    PLANES_PARAMS,
    [adaptiveWindow, adaptiveAvgPool],
  );
}

/** `gx` from `gy`. */
export function adaptiveAvgPoolBackwardKernel(): Kernel {
  return poolKernel(
    "adaptive_avg_pool_backward",
    [["gy", "read"], ["gx", "read_write"]],
    PLANES_PARAMS,
    [adaptiveWindow, adaptiveAvgPoolBackward],
  );
}
