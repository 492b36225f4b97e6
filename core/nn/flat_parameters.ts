/**
 * Packs a model's parameters into one flat buffer and their gradients into another, so
 * the optimizer is one fused update and the all-reduce moves contiguous bytes.
 *
 * @module
 */

import type { Backend, Storage } from "../backend.ts";
import { UsageError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import type { Parameter } from "./parameter.ts";

/** Where one named parameter lives in the flat buffers. */
export interface ParameterSlot {
  /** Its `state_dict` name, e.g. `0.weight`. */
  readonly name: string;
  /** Its shape. */
  readonly shape: readonly number[];
  /** Its first element in the flat buffers. */
  readonly offset: number;
  /** Its number of elements (without alignment padding). */
  readonly size: number;
  /** The parameter bound there. */
  readonly parameter: Parameter;
}

/** The flat parameter and gradient buffers of a model. */
export interface FlatParameters {
  /** The backend that holds both buffers. */
  readonly backend: Backend;
  /** Every parameter's values, each a view at its slot. */
  readonly params: Storage;
  /** Every parameter's gradient, laid out as {@link FlatParameters.params}. */
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
  const flat = { backend, params, grads, slots, size };
  for (const s of slots) flatOfParameter.set(s.parameter, flat);
  return flat;
}

// The flat buffers each bound parameter lives in, so that an optimizer built from
// `model.parameters()` finds the buffers to update in one fused step.
const flatOfParameter = new WeakMap<Parameter, FlatParameters>();

/**
 * The flat buffers that every one of `params` is bound to. Parameters not bound yet
 * (see {@link bindParameters}, `Module.to`), or bound to different flat buffers, throw a
 * UsageError for `params`.
 */
export function flatOf(params: readonly Parameter[]): FlatParameters {
  if (params.length === 0) throw new UsageError("params", "expected at least one parameter");
  const flats = new Set(params.map((p) => flatOfParameter.get(p)));
  const [flat] = flats;
  if (!flat) {
    throw new UsageError(
      "params",
      "parameters are not on a backend yet: call model.to(backend) before building an optimizer",
    );
  }
  if (flats.size > 1) {
    throw new UsageError("params", "expected parameters of one model (one flat buffer)");
  }
  return flat;
}
