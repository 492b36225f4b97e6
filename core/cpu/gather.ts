/**
 * `Backend.gatherSamples` on host arrays, shared by the CPU backends.
 *
 * @module
 */

/**
 * Copies sample `ix[r]` of `table` (rows of `width` floats) and its label from `classes` into
 * row `r` of `x` and `y`; an index outside the table gives a zero row and label 0.
 */
export function gatherSamplesHost(
  table: Float32Array,
  classes: Float32Array,
  ix: Float32Array,
  width: number,
  x: Float32Array,
  y: Float32Array,
): void {
  for (let r = 0; r < ix.length; r++) {
    const k = ix[r];
    if (k >= 0 && k < classes.length) {
      x.set(table.subarray(k * width, (k + 1) * width), r * width);
      y[r] = classes[k];
    } else {
      x.fill(0, r * width, (r + 1) * width);
      y[r] = 0;
    }
  }
}
