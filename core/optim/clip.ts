/**
 * Gradient clipping over the flat gradient buffer, entirely on the device:
 * `clip_grad_norm_` reduces the gradients to their total norm in a 1-element storage and
 * scales them by `min(1, max_norm / (norm + 1e-6))` without reading the norm back;
 * `clip_grad_value_` clamps each gradient.
 *
 * @module
 */

import type { Storage } from "../backend.ts";
import { UsageError } from "../errors.ts";
import type { FlatParameters } from "../nn/flat_parameters.ts";

/** The norms that {@link clipGradNorm} computes: Euclidean, or the largest magnitude. */
export type GradNormType = 2 | "inf";

/** Clipping that an `Optimizer` applies before each update. */
export interface GradClipping {
  /** Largest total gradient norm (`clip_grad_norm_`'s `max_norm`). */
  maxNorm?: number;
  /** The norm of `maxNorm` (default 2). */
  normType?: GradNormType;
  /** Largest gradient magnitude (`clip_grad_value_`'s `clip_value`). */
  value?: number;
}

/**
 * Scales all gradients of `flat` in place so that their total `normType` norm is at most
 * `maxNorm` (`torch.nn.utils.clip_grad_norm_`). Returns the total norm before clipping as
 * a 1-element storage; reading it is the caller's choice.
 *
 * @example
 * ```ts
 * import { bindParameters, clipGradNorm, createCpuBackend, Linear, Rng } from "../../mod.ts";
 * const flat = bindParameters(createCpuBackend(), new Linear(3, 1, new Rng(0), { bias: false }).namedParameters());
 * flat.backend.write(flat.grads, new Float32Array([3, 4, 0]));
 * const norm = clipGradNorm(flat, 1);
 * console.log(await flat.backend.read(norm)); // Float32Array [ 5 ]
 * ```
 */
export function clipGradNorm(
  flat: FlatParameters,
  maxNorm: number,
  normType: GradNormType = 2,
): Storage {
  checkClipping({ maxNorm, normType });
  const { backend, grads } = flat;
  const norm = normType === 2
    ? backend.unary("sqrt", backend.dot(grads, grads))
    : backend.maxAbs(grads);
  backend.scaleToNorm(grads, norm, maxNorm);
  return norm;
}

/**
 * Clamps every gradient of `flat` to `[-clipValue, clipValue]` in place
 * (`torch.nn.utils.clip_grad_value_`).
 */
export function clipGradValue(flat: FlatParameters, clipValue: number): void {
  checkClipping({ value: clipValue });
  flat.backend.clampAbs(flat.grads, clipValue);
}

/** Throws a {@link UsageError} naming the flag unless every given limit is finite and ≥ 0. */
export function checkClipping(clip: GradClipping): void {
  const limit = (flag: string, name: string, v: number | undefined) => {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) {
      throw new UsageError(flag, `expected a finite ${name} >= 0, got ${v}`);
    }
  };
  limit("clipGradNorm", "max_norm", clip.maxNorm);
  limit("clipGradValue", "clip_value", clip.value);
  const type = clip.normType ?? 2;
  if (type !== 2 && type !== "inf") {
    throw new UsageError("clipNormType", `expected 2 or inf, got ${type}`);
  }
}
