/**
 * Argument checks shared by the losses: each throws a {@link ShapeError} or
 * {@link UsageError} that names the loss, the argument and the shapes it got.
 *
 * @module
 */

import { ShapeError, UsageError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";

const show = (t: Tensor) => `[${t.shape}]`;

/** Throws unless every tensor in `named` has the same shape. */
export function requireSameShape(loss: string, named: Record<string, Tensor>): void {
  const entries = Object.entries(named);
  const [, first] = entries[0];
  if (entries.every(([, t]) => t.shape.join() === first.shape.join())) return;
  const list = entries.map(([name, t]) => `${name} ${show(t)}`).join(", ");
  throw new ShapeError(loss, `${list} must have the same shape`);
}

/** Throws unless `input` is `[N, C]` and `target` is `[N]` (class indices). */
export function requireClassTargets(loss: string, input: Tensor, target: Tensor): void {
  if (input.shape.length !== 2 || target.shape.length !== 1 || target.shape[0] !== input.shape[0]) {
    throw new ShapeError(
      loss,
      `expected input [N, C] and target [N], got ${show(input)} and ${show(target)}`,
    );
  }
}

/** Throws unless `t` is absent or has shape `shape`. */
export function requireShape(
  loss: string,
  name: string,
  t: Tensor | null | undefined,
  shape: readonly number[],
): void {
  if (t && t.shape.join() !== shape.join()) {
    throw new ShapeError(loss, `${name} must be [${shape}], got ${show(t)}`);
  }
}

/** Throws unless `t` is absent or broadcasts to `shape` without growing it. */
export function requireBroadcastable(
  loss: string,
  name: string,
  t: Tensor | null | undefined,
  shape: readonly number[],
): void {
  if (!t) return;
  const lead = shape.length - t.shape.length;
  if (lead >= 0 && t.shape.every((d, i) => d === 1 || d === shape[lead + i])) return;
  throw new ShapeError(loss, `${name} ${show(t)} does not broadcast to [${shape}]`);
}

/** Throws a UsageError naming `loss` and `name` unless `ok`. */
export function requireArgument(loss: string, name: string, ok: boolean, expected: string): void {
  if (!ok) throw new UsageError(loss, `${name} ${expected}`);
}
