/**
 * The fused optimizer updates on WebGPU: any update kernel of the optimizer records
 * (`core/optim/updates/`) as one thread per element of the flat parameter, gradient and
 * state buffers. The record brings the WGSL `update(i)` and its uniforms; this module adds
 * the entry point and the bindings.
 *
 * @module
 */

import type { UpdateKernel } from "../../core/backend.ts";
import { defineKernel, type Kernel, memoKernel } from "./kernel.ts";
import perParameter from "./per_parameter.wgsl" with { type: "text" };

/** The WebGPU kernel of `update`: bindings `p`, `g`, then the state buffers by name. */
export function updateKernel(update: UpdateKernel): Kernel {
  return memoKernel(`optimizer:${update.name}`, (key) =>
    defineKernel({
      key,
      bindings: [
        ["p", "read_write"],
        ["g", "read"],
        ...update.stateNames.map((name) => [name, "read_write"] as const),
      ],
      params: update.fields.map(({ name, type }) => ({ name, type })),
      sources: [perParameter, ...update.wgsl],
    }));
}
