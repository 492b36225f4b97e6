/**
 * The median the benches report.
 *
 * @module
 */

/** The median of `xs`: the middle value, or the mean of the two middle values. */
export function median(xs: readonly number[]): number {
  const sorted = xs.toSorted((a, b) => a - b);
  return (sorted[(sorted.length - 1) >> 1] + sorted[sorted.length >> 1]) / 2;
}
