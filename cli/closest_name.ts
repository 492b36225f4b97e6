/**
 * "Did you mean …?": the known name nearest a mistyped one by edit distance.
 *
 * @module
 */

/**
 * Optimal string alignment distance between `a` and `b`: insertions, deletions,
 * substitutions and swaps of two neighbouring characters each count 1.
 */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => {
    const row = new Array<number>(b.length + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The name in `known` closest to `name` (the first of equals), or undefined when none is
 * within a third of `name`'s length (at least 1, at most 3 edits): far guesses mislead.
 *
 * @example
 * ```ts
 * import { closestName } from "./closest_name.ts";
 * console.log(closestName("epoch", ["epochs", "lr"])); // "epochs"
 * ```
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}
