/**
 * Packs a model's parameters into one flat buffer and their gradients into another, so
 * the optimizer is one fused update and the all-reduce moves contiguous bytes.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import { Tensor } from "../tensor.ts";
import type { Parameter } from "./parameter.ts";

/** Where one named parameter lives in the flat buffers. */
export interface ParameterSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  readonly parameter: Parameter;
}

/** The flat parameter and gradient buffers of a model. */
export interface FlatParameters {
  readonly backend: Backend;
  readonly params: Storage;
  readonly grads: Storage;
  /** Slots in registration order; offsets are multiples of the backend's view alignment. */
  readonly slots: readonly ParameterSlot[];
  /** Total elements including alignment padding (padding stays zero). */
  readonly size: number;
}

/**
 * Where `named` parameters go in a flat buffer whose views start at multiples of
 * `alignment` elements: registration order, each rounded up to the alignment.
 */
export function flatLayout(
  named: readonly [string, Parameter][],
  alignment: number,
): { slots: ParameterSlot[]; size: number } {
  const slots: ParameterSlot[] = [];
  let size = 0;
  for (const [name, parameter] of named) {
    slots.push({ name, shape: parameter.shape, offset: size, size: parameter.size, parameter });
    size += Math.ceil(parameter.size / alignment) * alignment;
  }
  return { slots, size };
}

/**
 * Uploads the initial values of `named` parameters into one persistent flat buffer and
 * binds each parameter to its view, with its gradient a view into a flat gradient buffer.
 */
export function bindParameters(
  backend: Backend,
  named: readonly [string, Parameter][],
): FlatParameters {
  const { slots, size } = flatLayout(named, backend.viewAlignment);
  const host = new Float32Array(size);
  for (const s of slots) host.set(s.parameter.init, s.offset);
  const params = backend.upload(host, true);
  const grads = backend.zeros(size, true);
  for (const s of slots) {
    const t = new Tensor(backend, backend.view(params, s.offset, s.size), s.shape, true);
    t.gradStorage = backend.view(grads, s.offset, s.size);
    s.parameter.bind(t);
  }
  return { backend, params, grads, slots, size };
}
