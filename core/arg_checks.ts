/**
 * Checks of the scalar arguments that activations take, shared by the activation records,
 * the functional forms and the modules: each throws a UsageError naming the function and
 * the argument (PyTorch's name) and what was expected.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** Throws a UsageError naming `fn` and `name` unless `value` is a finite number. */
export function requireFinite(fn: string, name: string, value: number): void {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new UsageError(fn, `${name} must be a finite number, got ${value}`);
  }
}

/** Throws a UsageError naming `fn` and `name` unless `value` is a number other than NaN. */
export function requireNumber(fn: string, name: string, value: number): void {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new UsageError(fn, `${name} must be a number, got ${value}`);
  }
}

/** Throws a UsageError naming `fn` and `name` unless `value` is a finite nonzero number. */
export function requireNonzero(fn: string, name: string, value: number): void {
  requireFinite(fn, name, value);
  if (value === 0) throw new UsageError(fn, `${name} must be nonzero, got 0`);
}

/** Throws a UsageError unless `minVal < maxVal`, both finite (like `nn.Hardtanh`). */
export function requireRange(fn: string, minVal: number, maxVal: number): void {
  requireFinite(fn, "min_val", minVal);
  requireFinite(fn, "max_val", maxVal);
  if (!(minVal < maxVal)) {
    throw new UsageError(fn, `min_val must be below max_val, got ${minVal} and ${maxVal}`);
  }
}

/** Throws a UsageError unless `approximate` is "none" or "tanh". */
export function requireApproximate(fn: string, approximate: string): void {
  if (approximate !== "none" && approximate !== "tanh") {
    throw new UsageError(fn, `approximate must be "none" or "tanh", got "${approximate}"`);
  }
}
