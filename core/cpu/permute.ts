/**
 * Axis permutation of a row-major host array: the reference for `Backend.permute`.
 *
 * @module
 */

/** `x` of `shape` with output axis `d` being input axis `dims[d]`, as a new array. */
export function permuteHost(
  x: Float32Array,
  shape: readonly number[],
  dims: readonly number[],
): Float32Array {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let d = rank - 1, s = 1; d >= 0; s *= shape[d], d--) inStrides[d] = s;
  const outShape = dims.map((d) => shape[d]);
  const strides = dims.map((d) => inStrides[d]);
  const out = new Float32Array(x.length);
  const index = new Array<number>(rank).fill(0);
  let src = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = x[src];
    // Odometer over the output index, moving the input offset with it.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      src += strides[d];
      if (index[d] < outShape[d]) break;
      src -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}
