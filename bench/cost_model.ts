/**
 * The all-reduce cost model of docs/scaling.md: the α–β cost of each collective, a fit of
 * α and β to measured all-reduce times, and the weak-scaling efficiency of a training step
 * whose gradient all-reduce follows its compute. Names, formulas and argument order are
 * those of the algorithm choice on the algorithms' side (`--allreduce`), so that the two
 * can become one module.
 *
 * α is the cost of one message (seconds: the HTTP request, the kernel, the wire), β the
 * bandwidth of one rank's link in each direction (bytes per second), n the bytes reduced,
 * p the ranks.
 *
 * @example Ring against the tree for 1 MB over 256 ranks
 * ```ts
 * import { ringSeconds, treeSeconds } from "./cost_model.ts";
 * const link = { alphaS: 2e-4, bytesPerS: 1.2e9 };
 * ringSeconds(1 << 20, 256, link); // ≈ 0.104 s: 510 messages
 * treeSeconds(1 << 20, 256, link); // ≈ 0.017 s: 16 messages of the whole buffer
 * ```
 *
 * @module
 */

/** One kind of link: seconds per message, bytes per second. */
export interface LinkCost {
  readonly alphaS: number;
  readonly bytesPerS: number;
}

/**
 * The collectives: `ring` (reduce-scatter, then all-gather), `tree` (binomial reduce,
 * then broadcast), `halving` (recursive halving-doubling, Rabenseifner), `hier` (reduce
 * within each host, all-reduce across hosts, broadcast within each host).
 */
export type Collective = "ring" | "tree" | "halving" | "hier";

const log2Ceil = (p: number) => Math.ceil(Math.log2(Math.max(p, 1)));

/** Ring: `2(p − 1)·α + 2(p − 1)/p · n/β`. */
export function ringSeconds(bytes: number, p: number, cost: LinkCost): number {
  return p <= 1 ? 0 : 2 * (p - 1) * cost.alphaS + (2 * (p - 1) / p) * bytes / cost.bytesPerS;
}

/** Binomial tree reduce, then broadcast: `2⌈log₂ p⌉·(α + n/β)`. */
export function treeSeconds(bytes: number, p: number, cost: LinkCost): number {
  return 2 * log2Ceil(p) * (cost.alphaS + bytes / cost.bytesPerS);
}

/**
 * Recursive halving-doubling over the largest power of two q ≤ p:
 * `2·log₂ q·α + 2(q − 1)/q · n/β`, plus `2(α + n/β)` to fold in the p − q others.
 */
export function halvingSeconds(bytes: number, p: number, cost: LinkCost): number {
  const q = 2 ** Math.floor(Math.log2(Math.max(p, 1)));
  const fold = p > q ? 2 * (cost.alphaS + bytes / cost.bytesPerS) : 0;
  return 2 * Math.log2(q) * cost.alphaS + (2 * (q - 1) / q) * bytes / cost.bytesPerS + fold;
}

/**
 * Hierarchical with `perHost` ranks on each host: a tree within each host over `local`,
 * the cheaper of ring and tree among the host leaders over `cross`.
 */
export function hierSeconds(
  bytes: number,
  p: number,
  perHost: number,
  local: LinkCost,
  cross: LinkCost,
): number {
  const hosts = Math.ceil(p / perHost);
  const within = treeSeconds(bytes, Math.min(perHost, p), local);
  return within + Math.min(ringSeconds(bytes, hosts, cross), treeSeconds(bytes, hosts, cross));
}

/** Where the ranks sit: `perHost` ranks per host, `local` their loopback. */
export interface Hosts {
  readonly perHost: number;
  readonly local: LinkCost;
}

/** The modelled seconds of `collective` for `bytes` over `p` ranks. */
export function collectiveSeconds(
  collective: Collective,
  bytes: number,
  p: number,
  cross: LinkCost,
  hosts: Hosts = { perHost: 1, local: cross },
): number {
  switch (collective) {
    case "ring":
      return ringSeconds(bytes, p, cross);
    case "tree":
      return treeSeconds(bytes, p, cross);
    case "halving":
      return halvingSeconds(bytes, p, cross);
    case "hier":
      return hierSeconds(bytes, p, hosts.perHost, hosts.local, cross);
  }
}

/**
 * What `--allreduce auto` runs: the cheapest of ring and tree, and hier when several ranks
 * share a host but not all one host (halving stays opt-in); ties go to the ring.
 */
export function autoCollective(
  bytes: number,
  p: number,
  cross: LinkCost,
  hosts: Hosts = { perHost: 1, local: cross },
): { collective: Collective; seconds: number } {
  const names: Collective[] = hosts.perHost > 1 && hosts.perHost < p
    ? ["ring", "tree", "hier"]
    : ["ring", "tree"];
  return names
    .map((collective) => ({
      collective,
      seconds: collectiveSeconds(collective, bytes, p, cross, hosts),
    }))
    .reduce((best, c) => (c.seconds < best.seconds ? c : best));
}

/** One measured all-reduce: ranks, bytes, seconds. */
export interface AllReduceTime {
  readonly world: number;
  readonly bytes: number;
  readonly seconds: number;
}

/**
 * α and β of the ring formula fitted to `points` by least squares on relative error (each
 * equation divided by its measured time, so 4 KB counts as much as 64 MB):
 * T = α · 2(p − 1) + (1/β) · 2(p − 1)n/p.
 */
export function fitRing(points: readonly AllReduceTime[]): LinkCost {
  // Normal equations of the 2-parameter weighted least squares.
  let aa = 0, ab = 0, bb = 0, at = 0, bt = 0;
  for (const { world: p, bytes, seconds } of points) {
    const a = 2 * (p - 1) / seconds, b = 2 * (p - 1) * bytes / p / seconds;
    aa += a * a, ab += a * b, bb += b * b, at += a, bt += b;
  }
  const det = aa * bb - ab * ab;
  if (!(Math.abs(det) > 0)) throw new RangeError("fitRing needs two sizes or more");
  const alphaS = (at * bb - bt * ab) / det, inverseBeta = (aa * bt - ab * at) / det;
  if (!(alphaS > 0 && inverseBeta > 0)) {
    throw new RangeError(`the ring fit is not physical: α = ${alphaS} s, 1/β = ${inverseBeta} s/B`);
  }
  return { alphaS, bytesPerS: 1 / inverseBeta };
}

/**
 * Weak-scaling efficiency of a step that computes for `computeSeconds` and then all-reduces
 * for `commSeconds` with nothing of the two overlapping, plus `amortizedSeconds` of other
 * per-step costs (metric sums every `--log-every` steps): compute / whole step.
 */
export function weakScalingEfficiency(
  computeSeconds: number,
  commSeconds: number,
  amortizedSeconds = 0,
): number {
  return computeSeconds / (computeSeconds + commSeconds + amortizedSeconds);
}
