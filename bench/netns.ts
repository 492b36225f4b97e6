/**
 * An emulated network for benches and tests: one network namespace per rank, each joined
 * to a bridge (in a namespace of its own) by a veth pair whose two ends are rate-shaped
 * with `tc tbf`, so every rank has a full-duplex link of the profile's rate. This kernel
 * has no `netem`, so no latency is added: a message pays the stack's own latency only.
 *
 * Nothing outside the namespaces is touched: the bridge and every interface live in them,
 * and all their names start with `gmnet-<pid>-`, the pid of the process that made them.
 * {@link createNetwork} first removes the namespaces of such processes that are gone (a
 * crashed or killed run), and the network is torn down on `close`, on Ctrl-C and on
 * SIGTERM; processes still running in a namespace get SIGTERM first.
 *
 * @example Two ranks on 1 Gbit/s links
 * ```ts
 * import { createNetwork } from "./netns.ts";
 * const net = await createNetwork(2, "1gbe");
 * try {
 *   // new Deno.Command("ip", { args: net.exec(0, ["deno", "run", ...]) })
 *   console.log(net.hosts[1].address); // 10.77.0.2
 * } finally {
 *   await net.close();
 * }
 * ```
 *
 * @module
 */

/** Link rates of the named profiles, in bits per second; `loopback` is no emulation. */
export const NET_PROFILES = {
  loopback: null,
  "100mbit": 100e6,
  "1gbe": 1e9,
  "10gbe": 10e9,
} as const;

/** A profile name of {@link NET_PROFILES}. */
export type NetProfile = keyof typeof NET_PROFILES;

/** The prefix of every namespace this module makes. */
export const NAMESPACE_PREFIX = "gmnet-";

/** The interface name of every rank's link, inside its namespace. */
export const LINK_DEVICE = "gmnet0";

/** One emulated host: its namespace and its address on the bridge. */
export interface NetHost {
  readonly ns: string;
  readonly address: string;
}

/** A running emulated network. */
export interface EmulatedNetwork {
  /** Rank r's host. */
  readonly hosts: readonly NetHost[];
  /** Every link's rate in each direction, bits per second. */
  readonly bitsPerSecond: number;
  /** `ip` arguments that run `command` inside rank `rank`'s namespace. */
  exec(rank: number, command: readonly string[]): string[];
  /** Removes every namespace of this network (and with them every link). */
  close(): Promise<void>;
}

/** Runs `ip args`, throwing its error output on failure. */
async function run(program: string, args: readonly string[]): Promise<string> {
  const out = await new Deno.Command(program, { args: [...args], stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  if (!out.success) throw new Error(`${program} ${args.join(" ")}: ${text(out.stderr)}`);
  return text(out.stdout);
}

const ip = (...args: string[]) => run("ip", args);

/** Whether process `pid` still runs. */
async function alive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the processes still inside namespace `ns` (ranks of a run that failed or was
 * interrupted), then deletes it: a namespace whose name is gone lives on while a process
 * is in it.
 */
async function removeNamespace(ns: string): Promise<void> {
  const pids = await ip("netns", "pids", ns).catch(() => "");
  for (const pid of pids.split("\n").filter(Boolean).map(Number)) {
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* already gone */ }
  }
  await ip("netns", "del", ns).catch(() => {});
}

/** Deletes namespaces left by runs of this module whose process is gone. */
export async function removeStaleNamespaces(): Promise<string[]> {
  const names = (await ip("netns", "list")).split("\n").map((l) => l.split(" ")[0]);
  const removed: string[] = [];
  for (const name of names) {
    const m = name.match(new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`));
    if (!m || await alive(Number(m[1]))) continue;
    await removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

/**
 * `tc tbf` arguments for `bits` per second. The burst, the bytes that may leave at once
 * after an idle spell, is 1 ms at the rate and at least 64 KB (one veth segment): with
 * less, a loaded machine fires tbf's timer late, the tokens it would have gathered
 * meanwhile overflow the bucket, and a 1 Gbit/s link carries half its rate (measured
 * here: 100 µs of burst gave 0.06–0.08 GB/s, 1 ms 0.115). The cost: after an idle spell,
 * a message smaller than the burst leaves at memory speed.
 */
function tbf(bits: number): string[] {
  const burst = Math.max(64 * 1024, Math.round(bits / 8 / 1000));
  return ["tbf", "rate", `${bits}bit`, "burst", String(burst), "latency", "50ms"];
}

// Networks open in this process, torn down on a signal.
const open = new Set<EmulatedNetwork>();
let signalsHooked = false;

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await Promise.all([...open].map((n) => n.close()));
      Deno.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
}

/**
 * Makes `ranks` namespaces on one bridge, rank r at 10.77.0.(r + 1), each link shaped to
 * the rate of `profile` (or to `bitsPerSecond`) in both directions. Throws (having
 * removed what it made) where namespaces cannot be made: not root, no `ip` or `tc`.
 */
export async function createNetwork(
  ranks: number,
  profile: Exclude<NetProfile, "loopback"> | number,
): Promise<EmulatedNetwork> {
  if (!Number.isInteger(ranks) || ranks < 1 || ranks > 250) {
    throw new RangeError(`an emulated network takes 1 to 250 ranks, got ${ranks}`);
  }
  const bits = typeof profile === "number" ? profile : NET_PROFILES[profile];
  await removeStaleNamespaces();
  const base = `${NAMESPACE_PREFIX}${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;
  const bridgeNs = `${base}-br`;
  const hosts = Array.from({ length: ranks }, (_, r) => ({
    ns: `${base}-r${r}`,
    address: `10.77.0.${r + 1}`,
  }));
  const made: string[] = [];
  let closed = false;
  const network: EmulatedNetwork = {
    hosts,
    bitsPerSecond: bits,
    exec: (rank, command) => ["netns", "exec", hosts[rank].ns, ...command],
    async close() {
      if (closed) return;
      closed = true;
      open.delete(network);
      // Deleting a namespace deletes the interfaces in it, and so both ends of its veths.
      for (const ns of made) await removeNamespace(ns);
    },
  };
  open.add(network);
  hookSignals();
  try {
    for (const ns of [bridgeNs, ...hosts.map((h) => h.ns)]) {
      await ip("netns", "add", ns);
      made.push(ns);
    }
    await ip("-n", bridgeNs, "link", "add", "br0", "type", "bridge");
    await ip("-n", bridgeNs, "link", "set", "br0", "up");
    for (const [r, h] of hosts.entries()) {
      const port = `port${r}`;
      await ip(
        "link",
        "add",
        LINK_DEVICE,
        "netns",
        h.ns,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        bridgeNs,
      );
      await ip("-n", bridgeNs, "link", "set", port, "master", "br0");
      await ip("-n", bridgeNs, "link", "set", port, "up");
      await ip("-n", h.ns, "addr", "add", `${h.address}/24`, "dev", LINK_DEVICE);
      await ip("-n", h.ns, "link", "set", LINK_DEVICE, "up");
      await ip("-n", h.ns, "link", "set", "lo", "up");
      // Egress of the rank's end shapes what it sends, of the bridge's end what it receives.
      await run("tc", ["-n", h.ns, "qdisc", "add", "dev", LINK_DEVICE, "root", ...tbf(bits)]);
      await run("tc", ["-n", bridgeNs, "qdisc", "add", "dev", port, "root", ...tbf(bits)]);
    }
  } catch (e) {
    await network.close();
    throw e;
  }
  return network;
}

/** Why an emulated network cannot be made here, or null when it can (root, `ip`, `tc`). */
export async function networkUnavailable(): Promise<string | null> {
  if (Deno.uid() !== 0) return "network namespaces need root";
  for (const tool of ["ip", "tc"]) {
    try {
      await run(tool, ["-V"]);
    } catch {
      return `\`${tool}\` is missing`;
    }
  }
  return null;
}
