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
 * Links between hosts: the ring fitted on 2 ranks in emulated 1 Gbit/s namespaces
 * (bench/RESULTS.md, "Scaling on an emulated 1gbe network"): α = 0.206 ms per message, β =
 * 0.118 GB/s, 95% of the link rate. α is the HTTP stack's, half the loopback one because
 * each rank there had a core to itself. Pass a {@link NetworkCost} to model other links.
 */
export const CROSS_HOST_COST: LinkCost = { alphaS: 0.206e-3, bytesPerS: 0.118e9 };

/** The two kinds of link the model knows: within a host (`local`) and between hosts. */
export interface NetworkCost {
  readonly local: LinkCost;
  readonly cross: LinkCost;
}

/** What `auto` assumes: {@link LOOPBACK_COST} within a host, {@link CROSS_HOST_COST} across. */
export const DEFAULT_NETWORK_COST: NetworkCost = { local: LOOPBACK_COST, cross: CROSS_HOST_COST };

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
  local = DEFAULT_NETWORK_COST.local,
  cross = DEFAULT_NETWORK_COST.cross,
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
 * Modelled seconds of `algorithm` for `bytes` with rank `r` on host `hosts[r]`. With ranks on
 * several hosts the flat algorithms are costed on the cross-host links (their slowest edge
 * paces them), on one host on the local ones.
 *
 * @example
 * ```ts
 * import { algorithmSeconds } from "./algorithm_choice.ts";
 * algorithmSeconds("ring", 1 << 20, ["a", "b"]); // ≈ 9.3 ms on the 1 GbE fit
 * ```
 */
export function algorithmSeconds(
  algorithm: ConcreteAlgorithm,
  bytes: number,
  hosts: readonly string[],
  network: NetworkCost = DEFAULT_NETWORK_COST,
): number {
  const p = hosts.length;
  const flat = hostSizes(hosts).length > 1 ? network.cross : network.local;
  switch (algorithm) {
    case "ring":
      return ringSeconds(bytes, p, flat);
    case "tree":
      return treeSeconds(bytes, p, flat);
    case "halving":
      return halvingSeconds(bytes, p, flat);
    case "hier":
      return hierSeconds(bytes, hosts, network.local, network.cross).seconds;
  }
}

/**
 * The algorithm that runs for `bytes` on the wire when `requested` is asked for, with
 * rank `r` on host `hosts[r]`, costed on `network`. Every rank computes the same answer
 * from the same inputs.
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
  network: NetworkCost = DEFAULT_NETWORK_COST,
): ConcreteAlgorithm {
  if (requested !== "auto") return requested;
  const hostCount = hostSizes(hosts).length;
  const names: ConcreteAlgorithm[] = ["ring", "tree"];
  // With one host, or one rank per host, hier is the tree with extra steps.
  if (hostCount > 1 && hostCount < hosts.length) names.push("hier");
  const costs = names.map((name) => [name, algorithmSeconds(name, bytes, hosts, network)] as const);
  return costs.reduce((best, c) => (c[1] < best[1] ? c : best))[0];
}
