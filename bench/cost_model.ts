/**
 * The all-reduce cost model of docs/scaling.md: the α–β cost of each collective for ranks
 * spread evenly over hosts, a fit of α and β to measured all-reduce times, and the
 * weak-scaling efficiency of a training step whose gradient all-reduce follows its compute.
 * The formulas, and what `auto` picks, are those `--allreduce` runs by
 * (coordinator/transport/algorithm_choice.ts); this module only lays ranks out on hosts.
 *
 * α is the cost of one message (seconds: the HTTP request, the kernel, the wire), β the
 * bandwidth of one rank's link in each direction (bytes per second), n the bytes reduced,
 * p the ranks.
 *
 * @example Ring against the tree for 1 MB over 256 ranks
 * ```ts
 * import { collectiveSeconds } from "./cost_model.ts";
 * const link = { alphaS: 2e-4, bytesPerS: 1.2e9 };
 * collectiveSeconds("ring", 1 << 20, 256, link); // ≈ 0.104 s: 510 messages
 * collectiveSeconds("tree", 1 << 20, 256, link); // ≈ 0.017 s: 16 messages of the whole buffer
 * ```
 *
 * @module
 */

import {
  algorithmSeconds,
  chooseAlgorithm,
  type ConcreteAlgorithm,
  type LinkCost,
} from "../coordinator/transport/algorithm_choice.ts";

/** The collectives `--allreduce` runs (`auto` resolves to one of them). */
export type Collective = ConcreteAlgorithm;

/** Where the ranks sit: `perHost` ranks per host, `local` their loopback. */
export interface Hosts {
  readonly perHost: number;
  readonly local: LinkCost;
}

/** The host of each of `p` ranks, `perHost` to a host in rank order. */
export function evenHosts(p: number, perHost: number): string[] {
  return Array.from({ length: p }, (_, r) => String(Math.floor(r / perHost)));
}

/** The modelled seconds of `collective` for `bytes` over `p` ranks, `cross` between hosts. */
export function collectiveSeconds(
  collective: Collective,
  bytes: number,
  p: number,
  cross: LinkCost,
  hosts: Hosts = { perHost: 1, local: cross },
): number {
  return algorithmSeconds(collective, bytes, evenHosts(p, hosts.perHost), {
    local: hosts.local,
    cross,
  });
}

/**
 * What `--allreduce auto` runs for these ranks and links (the cheapest of ring and tree,
 * and hier when several ranks share a host but not all one host), and its modelled seconds.
 */
export function autoCollective(
  bytes: number,
  p: number,
  cross: LinkCost,
  hosts: Hosts = { perHost: 1, local: cross },
): { collective: Collective; seconds: number } {
  const layout = evenHosts(p, hosts.perHost);
  const network = { local: hosts.local, cross };
  const collective = chooseAlgorithm("auto", bytes, layout, network);
  return { collective, seconds: algorithmSeconds(collective, bytes, layout, network) };
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
