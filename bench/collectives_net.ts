/**
 * All-reduce algorithms and gradient wire formats side by side over a rate-limited link:
 * two network namespaces ("hosts") joined by a veth pair shaped with `tc tbf` on both ends,
 * `--per-host` ranks in each (they talk over the namespace's own loopback, unshaped). Every
 * combination runs in the same rank processes, one after the other, so the ratios between
 * them hold on a loaded machine. Needs root (`ip netns`, `tc`).
 *
 * ```sh
 * deno run -A bench/collectives_net.ts [--rate 1gbit] [--burst 1mb] [--per-host 1] [--sizes …]
 *   [--algorithms ring,tree,hier] [--dtypes fp32,fp16,bf16] [--reps 5]
 * ```
 *
 * Times are rank 0's median over `--reps` after one warm-up. busbw = bytes × 2(n − 1)/n / time
 * (nccl-tests) counts the float32 bytes whatever travels, so a 16-bit wire shows as a gain.
 * Each rank checks every result (the inputs sum to exact small integers).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AllReducePlan } from "../coordinator/transport/all_reduce.ts";
import type { ConcreteAlgorithm } from "../coordinator/transport/algorithm_choice.ts";
import { HttpLink } from "../coordinator/transport/http_link.ts";
import { serveRing } from "../coordinator/transport/ring_server.ts";
import type { WireDtype } from "../coordinator/transport/wire_dtype.ts";

const TOKEN = "collectives-net-bench-token-0123";
const PORT = 29650;

const { values: flags } = parseArgs({
  options: {
    rate: { type: "string", default: "1gbit" },
    burst: { type: "string", default: "1mb" },
    "per-host": { type: "string", default: "1" },
    sizes: { type: "string", default: [1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24].join(",") },
    algorithms: { type: "string", default: "ring,tree,hier" },
    dtypes: { type: "string", default: "fp32,fp16,bf16" },
    // AllReducePlan's `streams` (chunks spread over connections); 0: chunks of 2 MiB.
    streams: { type: "string", default: "0" },
    reps: { type: "string", default: "5" },
    rank: { type: "string" },
  },
});
const perHost = Number(flags["per-host"]);
const world = 2 * perHost;
const sizes = flags.sizes.split(",").map(Number);
const algorithms = flags.algorithms.split(",") as ConcreteAlgorithm[];
const dtypes = flags.dtypes.split(",") as WireDtype[];
const spreads = flags.streams.split(",").map(Number);
const tag = Deno.pid % 100_000;
const HOSTS = [
  { ns: `gmbench-a-${tag}`, veth: `gba${tag}`, address: "10.214.0.1" },
  { ns: `gmbench-b-${tag}`, veth: `gbb${tag}`, address: "10.214.0.2" },
];
const hostOf = (rank: number) => HOSTS[Math.floor(rank / perHost)];
const cases = sizes.flatMap((bytes) =>
  algorithms.flatMap((algorithm) =>
    dtypes.flatMap((dtype) => spreads.map((streams) => ({ bytes, algorithm, dtype, streams })))
  )
);

async function run(command: string, ...args: string[]): Promise<void> {
  const { success, stderr } = await new Deno.Command(command, { args, stdout: "null" }).output();
  if (!success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr).trim()}`);
  }
}

async function runRank(rank: number): Promise<void> {
  const hosts = Array.from({ length: world }, (_, r) => hostOf(r).address);
  const peers = hosts.map((address, r) => `http://${address}:${PORT + (r % perHost)}`);
  const plans = cases.map(({ bytes, algorithm, dtype, streams }) =>
    new AllReducePlan(bytes / 4, world, {
      algorithm,
      dtype,
      hosts,
      ...(streams > 0 && { streams }),
    })
  );
  const server = serveRing({
    token: TOKEN,
    hostname: hosts[rank],
    port: PORT + (rank % perHost),
    chunkLengthFor: (key, from) => plans[key.bucket]?.chunkLength(rank, from, key.chunk),
  });
  const link = new HttpLink({ rank, peers, token: TOKEN, mailbox: server.mailbox });
  let step = 0;
  const results = [];
  for (const [bucket, plan] of plans.entries()) {
    const data = new Float32Array(plan.length);
    const scratch = new Float32Array(plan.scratchLength(rank));
    const reduce = async () => {
      data.fill(rank + 1);
      const t0 = performance.now();
      await plan.run(link, rank, data, { step: step++, bucket, scratch, timeoutMs: 120_000 });
      const ms = performance.now() - t0;
      const wrong = data.findIndex((x) => x !== (world * (world + 1)) / 2);
      if (wrong >= 0) throw new Error(`rank ${rank}: element ${wrong} is ${data[wrong]}`);
      return ms;
    };
    await reduce();
    const times = [];
    for (let i = 0; i < Number(flags.reps); i++) times.push(await reduce());
    times.sort((a, b) => a - b);
    results.push({ ...cases[bucket], ran: plan.algorithm, ms: times[times.length >> 1] });
  }
  await link.close();
  await server.shutdown();
  if (rank === 0) console.log(JSON.stringify(results));
}

async function main(): Promise<void> {
  const [a, b] = HOSTS;
  try {
    for (const h of HOSTS) await run("ip", "netns", "add", h.ns);
    await run("ip", "link", "add", a.veth, "netns", a.ns, "type", "veth", "peer", "name", b.veth);
    await run("ip", "link", "set", b.veth, "netns", b.ns);
    for (const h of HOSTS) {
      await run("ip", "-n", h.ns, "addr", "add", `${h.address}/24`, "dev", h.veth);
      await run("ip", "-n", h.ns, "link", "set", h.veth, "up");
      await run("ip", "-n", h.ns, "link", "set", "lo", "up");
      // tbf works here (netem is not in this kernel); sizes well above the burst travel at the rate.
      const shape = ["qdisc", "add", "dev", h.veth, "root", "tbf", "rate", flags.rate];
      await run(
        "ip",
        "netns",
        "exec",
        h.ns,
        "tc",
        ...shape,
        "burst",
        flags.burst,
        "latency",
        "100ms",
      );
    }
    const children = Array.from({ length: world }, (_, rank) =>
      new Deno.Command("ip", {
        args: [
          "netns",
          "exec",
          hostOf(rank).ns,
          Deno.execPath(),
          "run",
          "-A",
          import.meta.filename!,
        ]
          .concat(Deno.args, [`--rank=${rank}`]),
        stdout: "piped",
        stderr: "inherit",
      }).output());
    const outputs = await Promise.all(children);
    const failed = outputs.findIndex((o) => !o.success);
    if (failed >= 0) throw new Error(`rank ${failed} exited with ${outputs[failed].code}`);
    const rows: (typeof cases[number] & { ran: string; ms: number })[] = JSON.parse(
      new TextDecoder().decode(outputs[0].stdout),
    );
    console.log(`${world} ranks, ${perHost} per host, links shaped to ${flags.rate}`);
    console.log(
      "| size | algorithm (ran) | wire | streams | ms | busbw GB/s | × first fp32 ring |",
    );
    console.log("|---|---|---|---|---|---|---|");
    for (const r of rows) {
      const base = rows.find((x) =>
        x.bytes === r.bytes && x.algorithm === "ring" && x.dtype === "fp32"
      );
      const busbw = (r.bytes / (r.ms / 1e3) / 1e9) * (2 * (world - 1)) / world;
      const speedup = base ? (base.ms / r.ms).toFixed(2) : "–";
      const size = r.bytes >= 1 << 20 ? `${r.bytes / (1 << 20)} MB` : `${r.bytes / 1024} KB`;
      console.log(
        `| ${size} | ${r.algorithm} (${r.ran}) | ${r.dtype} | ${r.streams || "–"} | ${
          r.ms.toFixed(2)
        } | ${busbw.toFixed(3)} | ${speedup} |`,
      );
    }
  } finally {
    for (const h of HOSTS) await run("ip", "netns", "del", h.ns).catch(() => {});
  }
}

if (flags.rank === undefined) await main();
else await runRank(Number(flags.rank));
