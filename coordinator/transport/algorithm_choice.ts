/**
 * Which all-reduce algorithm `auto` runs for a buffer, from an α–β cost model (α: seconds
 * per message, β: bytes per second of one link) and the hosts of the rendezvous. For `n`
 * bytes over `p` ranks:
 *
 * - ring: `2(p − 1)·α + 2(p − 1)/p · n/β` — bandwidth-optimal, latency grows with `p`;
 * - tree (binomial reduce, then broadcast): `2⌈log₂ p⌉·(α + n/β)` — log p messages;
 * - halving (Rabenseifner: recursive halving, then doubling, over the largest power of two
 *   `q ≤ p`): `2·log₂ q·α + 2(q − 1)/q · n/β`, plus `2(α + n/β)` to fold in the `p − q` others;
 * - hier: a tree among the ranks of each host over loopback, `2⌈log₂ l⌉·(α_l + n/β_l)` for
 *   the largest host of `l` ranks, plus the cheaper of ring and tree among the `H` host
 *   leaders on the cross-host links.
 *
 * With ranks on several hosts every flat algorithm is costed on the cross-host links
 * (their slowest edge paces them). `auto` takes the cheapest; ties go to the ring, then the
 * tree. On one host the tree wins below `(2(N − 1) − 2L)/(2L − 2(N − 1)/N)·α·β` bytes, `L =
 * ⌈log₂ N⌉`: with the loopback numbers below 179 KiB at 4 ranks, 422 KiB at 8, 805 KiB at 16; at
 * 2 and 3 ranks never (docs/allreduce.md has the table).
 *
 * @module
 */

/** One kind of link in the cost model. */
export interface LinkCost {
  /** Seconds per message. */
  readonly alphaS: number;
  /** Bytes per second. */
  readonly bytesPerS: number;
}

/**
 * Loopback HTTP between ranks on one host, measured on the 2-rank ring (bench/RESULTS.md,
 * "Ring cost model"): α = 0.41 ms, β = 0.56 GB/s.
 */
export const LOOPBACK_COST: LinkCost = { alphaS: 0.41e-3, bytesPerS: 0.56e9 };

/**
 * Links between hosts until measured: 1 Gbit/s Ethernet (0.125 GB/s) with the loopback
 * latency, which the HTTP stack and not the wire dominates.
 */
export const CROSS_HOST_COST: LinkCost = { alphaS: 0.41e-3, bytesPerS: 0.125e9 };

/** An algorithm that runs: what `auto` resolves to. */
export type ConcreteAlgorithm = "ring" | "tree" | "halving" | "hier";

/** What `--allreduce` takes. */
export type AllReduceAlgorithm = ConcreteAlgorithm | "auto";

/** Every {@link AllReduceAlgorithm}, for flag parsing. */
export const ALLREDUCE_ALGORITHMS: readonly AllReduceAlgorithm[] = [
  "ring",
  "tree",
  "halving",
  "hier",
  "auto",
];

const log2Ceil = (p: number) => Math.ceil(Math.log2(Math.max(p, 1)));

/** Modelled seconds of a ring all-reduce of `bytes` over `p` ranks. */
export function ringSeconds(bytes: number, p: number, cost: LinkCost): number {
  return p <= 1 ? 0 : 2 * (p - 1) * cost.alphaS + (2 * (p - 1) / p) * bytes / cost.bytesPerS;
}

/** Modelled seconds of a binomial tree reduce and broadcast of `bytes` over `p` ranks. */
export function treeSeconds(bytes: number, p: number, cost: LinkCost): number {
  return 2 * log2Ceil(p) * (cost.alphaS + bytes / cost.bytesPerS);
}

/** Modelled seconds of recursive halving-doubling of `bytes` over `p` ranks. */
export function halvingSeconds(bytes: number, p: number, cost: LinkCost): number {
  const q = 2 ** Math.floor(Math.log2(Math.max(p, 1)));
  const fold = p > q ? 2 * (cost.alphaS + bytes / cost.bytesPerS) : 0;
  return 2 * Math.log2(q) * cost.alphaS + (2 * (q - 1) / q) * bytes / cost.bytesPerS + fold;
}

/** Ranks per host, in order of each host's first rank. */
export function hostSizes(hosts: readonly string[]): number[] {
  const sizes = new Map<string, number>();
  for (const h of hosts) sizes.set(h, (sizes.get(h) ?? 0) + 1);
  return [...sizes.values()];
}

/** Modelled seconds of the hierarchical all-reduce, and the algorithm among the leaders. */
export function hierSeconds(
  bytes: number,
  hosts: readonly string[],
  local = LOOPBACK_COST,
  cross = CROSS_HOST_COST,
): { seconds: number; leaders: "ring" | "tree" } {
  const sizes = hostSizes(hosts);
  const within = treeSeconds(bytes, Math.max(...sizes, 1), local);
  const leaders = innerAlgorithm(bytes, sizes.length, cross);
  const across = leaders === "ring"
    ? ringSeconds(bytes, sizes.length, cross)
    : treeSeconds(bytes, sizes.length, cross);
  return { seconds: within + across, leaders };
}

/** The cheaper flat algorithm for `bytes` over `p` ranks on links of `cost`; ring on ties. */
export function innerAlgorithm(bytes: number, p: number, cost: LinkCost): "ring" | "tree" {
  return treeSeconds(bytes, p, cost) < ringSeconds(bytes, p, cost) ? "tree" : "ring";
}

/**
 * The algorithm that runs for `bytes` on the wire when `requested` is asked for, with
 * rank `r` on host `hosts[r]`. Every rank computes the same answer from the same inputs.
 *
 * @example
 * ```ts
 * import { chooseAlgorithm } from "./algorithm_choice.ts";
 * const oneHost = Array(8).fill("a");
 * chooseAlgorithm("auto", 4096, oneHost); // "tree"
 * chooseAlgorithm("auto", 4 << 20, oneHost); // "ring"
 * chooseAlgorithm("auto", 4 << 20, ["a", "a", "b", "b"]); // "hier"
 * ```
 */
export function chooseAlgorithm(
  requested: AllReduceAlgorithm,
  bytes: number,
  hosts: readonly string[],
): ConcreteAlgorithm {
  if (requested !== "auto") return requested;
  const p = hosts.length;
  const hostCount = hostSizes(hosts).length;
  const flat = hostCount > 1 ? CROSS_HOST_COST : LOOPBACK_COST;
  const costs: [ConcreteAlgorithm, number][] = [
    ["ring", ringSeconds(bytes, p, flat)],
    ["tree", treeSeconds(bytes, p, flat)],
  ];
  // With one host, or one rank per host, hier is the tree with extra steps.
  if (hostCount > 1 && hostCount < p) costs.push(["hier", hierSeconds(bytes, hosts).seconds]);
  return costs.reduce((best, c) => (c[1] < best[1] ? c : best))[0];
}
