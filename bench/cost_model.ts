/**
 * The all-reduce cost model of docs/scaling.md: the α–β cost of each collective, a fit of
 * α and β to measured all-reduce times, and the weak-scaling efficiency of a training step
 * whose gradient all-reduce follows its compute.
 *
 * α is the cost of one message (seconds: the HTTP request, the kernel, the wire), β the
 * bandwidth of one rank's link in each direction (bytes per second), S the bytes reduced,
 * N the ranks.
 *
 * @example Ring against recursive halving-doubling for 1 MB over 256 ranks
 * ```ts
 * import { allReduceSeconds } from "./cost_model.ts";
 * const link = { alpha: 2e-4, beta: 1.2e9 };
 * allReduceSeconds("ring", 256, 1 << 20, link); // ≈ 0.104 s: 510 messages
 * allReduceSeconds("rhd", 256, 1 << 20, link); // ≈ 0.005 s: 16 messages
 * ```
 *
 * @module
 */

/** One link's per-message latency α (s) and bandwidth β (bytes/s). */
export interface LinkModel {
  readonly alpha: number;
  readonly beta: number;
}

/**
 * The collectives: `ring` (reduce-scatter then all-gather around a ring), `rhd`
 * (recursive halving-doubling: log2 N exchanges of halving size, then doubling), `hier`
 * (reduce within each host, all-reduce across hosts, broadcast within each host).
 */
export type Collective = "ring" | "rhd" | "hier";

/** Ring: 2(N − 1) steps, each one message of S/N bytes. */
export function ringSeconds(n: number, bytes: number, { alpha, beta }: LinkModel): number {
  return n <= 1 ? 0 : 2 * (n - 1) * (alpha + bytes / (n * beta));
}

/**
 * Recursive halving-doubling (Rabenseifner): 2·log2 N messages, 2(N − 1)/N · S bytes
 * each way. For N not a power of two, the ranks beyond the largest power of two first
 * hand their data to a partner and get the result back: one more full-size exchange each
 * way.
 */
export function halvingDoublingSeconds(
  n: number,
  bytes: number,
  { alpha, beta }: LinkModel,
): number {
  if (n <= 1) return 0;
  const p = 2 ** Math.floor(Math.log2(n));
  const core = 2 * Math.log2(p) * alpha + 2 * (p - 1) / p * bytes / beta;
  return p === n ? core : core + 2 * (alpha + bytes / beta);
}

/**
 * Hierarchical: `perHost` ranks of a host reduce to one over `local` (a binary tree of
 * full-size messages), the hosts all-reduce over `link` with the cheaper of ring and
 * halving-doubling, and each host broadcasts back the same way.
 */
export function hierarchicalSeconds(
  n: number,
  bytes: number,
  link: LinkModel,
  perHost: number,
  local: LinkModel,
): number {
  const hosts = Math.ceil(n / perHost);
  const tree = Math.ceil(Math.log2(Math.min(perHost, n))) * (local.alpha + bytes / local.beta);
  return 2 * tree +
    Math.min(ringSeconds(hosts, bytes, link), halvingDoublingSeconds(hosts, bytes, link));
}

/**
 * The cost of `collective` for N ranks (`hier` with `perHost` ranks per host, loopback
 * `local`; with one rank per host it is the cheaper flat collective).
 */
export function allReduceSeconds(
  collective: Collective,
  n: number,
  bytes: number,
  link: LinkModel,
  hosts: { perHost: number; local: LinkModel } = { perHost: 1, local: link },
): number {
  if (collective === "ring") return ringSeconds(n, bytes, link);
  if (collective === "rhd") return halvingDoublingSeconds(n, bytes, link);
  return hierarchicalSeconds(n, bytes, link, hosts.perHost, hosts.local);
}

/** The collective of least modelled cost, as an `auto` choice made from this model would pick. */
export function cheapestCollective(
  n: number,
  bytes: number,
  link: LinkModel,
  hosts?: { perHost: number; local: LinkModel },
): { collective: Collective; seconds: number } {
  const names: Collective[] = hosts && hosts.perHost > 1
    ? ["ring", "rhd", "hier"]
    : ["ring", "rhd"];
  return names
    .map((collective) => ({
      collective,
      seconds: allReduceSeconds(collective, n, bytes, link, hosts),
    }))
    .reduce((a, b) => (b.seconds < a.seconds ? b : a));
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
 * T = α · 2(N − 1) + (1/β) · 2(N − 1)S/N.
 */
export function fitRing(points: readonly AllReduceTime[]): LinkModel {
  // Normal equations of the 2-parameter weighted least squares.
  let aa = 0, ab = 0, bb = 0, at = 0, bt = 0;
  for (const { world: n, bytes, seconds } of points) {
    const a = 2 * (n - 1) / seconds, b = 2 * (n - 1) * bytes / n / seconds;
    aa += a * a, ab += a * b, bb += b * b, at += a, bt += b;
  }
  const det = aa * bb - ab * ab;
  if (!(Math.abs(det) > 0)) throw new RangeError("fitRing needs two sizes or more");
  const alpha = (at * bb - bt * ab) / det, inverseBeta = (aa * bt - ab * at) / det;
  if (!(alpha > 0 && inverseBeta > 0)) {
    throw new RangeError(`the ring fit is not physical: α = ${alpha} s, 1/β = ${inverseBeta} s/B`);
  }
  return { alpha, beta: 1 / inverseBeta };
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
