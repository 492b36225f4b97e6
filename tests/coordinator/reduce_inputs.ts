/**
 * Inputs for all-reduce tests whose sums are exact in any order: small integers, different
 * on every rank and element, with their column sums.
 *
 * @module
 */

/** `world` buffers of `length` small integers, and the element-wise sum over them. */
export function exactInputs(
  world: number,
  length: number,
): { inputs: Float32Array<ArrayBuffer>[]; expected: Float32Array } {
  const inputs = Array.from(
    { length: world },
    (_, r) => Float32Array.from({ length }, (_, i) => (i % 13) * (r + 1) - r),
  );
  const expected = Float32Array.from(
    { length },
    (_, i) => inputs.reduce((sum, x) => sum + x[i], 0),
  );
  return { inputs, expected };
}
