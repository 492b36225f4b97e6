/**
 * All-reduce latency and bus bandwidth over real HTTP, one Deno process per rank, side by
 * side with Gloo (PyTorch) when `/usr/bin/python3` can import torch: on 127.0.0.1, or with
 * `--net 1gbe|10gbe` on an emulated network (bench/netns.ts: a namespace per host, links
 * shaped to the profile's rate), where Gloo's ranks run in the same namespaces.
 *
 * ```sh
 * deno run -A bench/allreduce.ts [--net loopback|1gbe|10gbe] [--worlds 2,4] [--link auto,native,http]
 *   [--allreduce ring,tree,halving,hier,auto] [--grad-dtype fp32,fp16,bf16] [--streams 0,4]
 *   [--per-host N] [--sizes 4096,65536,...] [--chunk-elems N,...] [--max-in-flight N] [--reps N]
 *   [--gloo-script PATH | --no-gloo] [--json PATH] [--write]
 * ```
 *
 * Every rank runs each reduction through `AllReducePlan`, as training does, over the link
 * `--link` names (native: TCP through libc; http; auto: native where it loads). `--link`,
 * `--allreduce`, `--grad-dtype`, `--streams` and `--chunk-elems` take lists: every
 * combination runs in the same rank
 * processes one after the other (size by size), so the ratios between them hold on a loaded
 * machine; streams 0 is the plan's own chunking. `--per-host N` puts N ranks in each
 * emulated host (they talk over its loopback), which is where `hier` and `auto` see hosts.
 *
 * busbw = algbw × 2(n − 1)/n with algbw = float32 bytes / time (the nccl-tests convention, as
 * in Gloo's script; a 16-bit wire shows as a gain). Our time is the median of the repetitions
 * on rank 0; Gloo's script reports the mean. Every rank checks the first result of every case
 * (the inputs sum to exact small integers); the timed ones reduce the previous result again,
 * as Gloo's do. `--json` keeps the measurements for the cost model (bench/cost_model.ts);
 * `--write` records the table in bench/RESULTS.md.
 *
 * The same file runs each rank (`--rank`, job token in the environment): it listens on
 * `--host` with each link, prints its URLs, reads every rank's URLs from stdin (`--hosts` names every rank's
 * host), then reduces and prints one JSON line per case from rank 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { writeTextAtomic } from "../core/checkpoint/atomic.ts";
import { AllReducePlan } from "../coordinator/transport/all_reduce.ts";
import {
  ALLREDUCE_ALGORITHMS,
  type AllReduceAlgorithm,
} from "../coordinator/transport/algorithm_choice.ts";
import type { ChunkKey, Link } from "../coordinator/transport/link.ts";
import { nativeLinkUnavailable } from "../coordinator/transport/native_link.ts";
import { type LinkEndpoint, serveLinkEndpoint } from "../coordinator/transport/link_endpoint.ts";
import { DEFAULT_CHUNK_ELEMS } from "../coordinator/transport/ring_plan.ts";
import { newJobToken } from "../coordinator/transport/token.ts";
import { WIRE_DTYPES, type WireDtype } from "../coordinator/transport/wire_dtype.ts";
import {
  createNetwork,
  type EmulatedNetwork,
  LINK_DEVICE,
  NET_PROFILES,
  type NetProfile,
} from "./netns.ts";
import { median } from "./median.ts";
import { machineLine, replaceSection } from "./results.ts";
import { exchangeUrls, readPeers } from "./rank_processes.ts";

const TOKEN_VARIABLE = "GRADMESH_BENCH_TOKEN";
const PYTHON = "/usr/bin/python3";
const GLOO_RANK = new URL("./gloo_rank.py", import.meta.url).pathname;
const GLOO_PORT = "29512";
const DEFAULT_SIZES = [1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24, 1 << 26];
// As many warm-up reductions as bench/gloo_rank.py runs.
const WARMUP = 3;

/** A link a rank can run over. */
type LinkKind = "native" | "http";

/** One reduction the ranks time: a size by a link, an algorithm, a wire format and a spread. */
interface Case {
  bytes: number;
  link: LinkKind;
  algorithm: AllReduceAlgorithm;
  dtype: WireDtype;
  /** `AllReducePlan`'s `streams`; 0 leaves it out. */
  streams: number;
  /** Floats per chunk at most. */
  chunkElems: number;
}

/** One size's median time on rank 0 (ours) or mean time (Gloo's). */
interface Measurement {
  world: number;
  bytes: number;
  ms: number;
}

/** Ours: the case, and what `auto` resolved to. */
interface CaseMeasurement extends Measurement, Case {
  ran: string;
}

const { values: flags } = parseArgs({
  options: {
    net: { type: "string", default: "loopback" },
    link: { type: "string", default: "auto" },
    allreduce: { type: "string", default: "ring" },
    "grad-dtype": { type: "string", default: "fp32" },
    streams: { type: "string", default: "0" },
    "per-host": { type: "string", default: "1" },
    reps: { type: "string" },
    worlds: { type: "string" },
    sizes: { type: "string", default: DEFAULT_SIZES.join(",") },
    "chunk-elems": { type: "string", default: String(DEFAULT_CHUNK_ELEMS) },
    // Each link's own default unless given.
    "max-in-flight": { type: "string" },
    "gloo-script": { type: "string", default: "/work/shared/peers/gloo_allreduce.py" },
    "no-gloo": { type: "boolean", default: false },
    json: { type: "string" },
    write: { type: "boolean", default: false },
    rank: { type: "string" },
    world: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    hosts: { type: "string" },
  },
});

/** Exits 2 with one line naming the flag and what it takes. */
function badFlag(flag: string, expected: string, got: string): never {
  console.error(`--${flag}: expected ${expected}, got ${JSON.stringify(got)}`);
  Deno.exit(2);
}

const net = flags.net as NetProfile;
if (!(net in NET_PROFILES)) badFlag("net", Object.keys(NET_PROFILES).join(" | "), flags.net);
/** The comma-separated items of `--flag`, each one of `allowed`. */
function listFlag<T extends string>(flag: string, allowed: readonly T[]): T[] {
  const text = String(flags[flag as keyof typeof flags]);
  const items = text.split(",");
  if (items.some((x) => !allowed.includes(x as T))) {
    badFlag(flag, `a comma-separated list of ${allowed.join(" | ")}`, text);
  }
  return items as T[];
}

/** The comma-separated integers of `--flag`, each at least `min`. */
function integersFlag(flag: string, min: number): number[] {
  const text = String(flags[flag as keyof typeof flags]);
  const items = text.split(",").map(Number);
  if (items.some((x) => !Number.isInteger(x) || x < min)) {
    badFlag(flag, `comma-separated integers ≥ ${min}`, text);
  }
  return items;
}

const algorithms = listFlag("allreduce", ALLREDUCE_ALGORITHMS);
// Each rank process resolves auto itself; they all run the same binary on one machine.
const linkKinds: LinkKind[] = [
  ...new Set(
    listFlag("link", ["auto", "native", "http"] as const).map((kind) =>
      kind === "auto" ? (nativeLinkUnavailable() ? "http" : "native") : kind
    ),
  ),
];
const dtypes = listFlag("grad-dtype", WIRE_DTYPES);
const spreads = integersFlag("streams", 0);
const [perHost] = integersFlag("per-host", 1);
const linkBits = NET_PROFILES[net];
if (perHost > 1 && !linkBits) {
  badFlag("per-host", "1 unless --net emulates hosts", flags["per-host"]);
}
const sizes = flags.sizes.split(",").map(Number);
if (sizes.some((b) => !Number.isInteger(b) || b < 4 || b % 4 !== 0)) {
  badFlag("sizes", "byte counts that are positive multiples of 4", flags.sizes);
}
const chunkSizes = integersFlag("chunk-elems", 1);
const maxInFlight = flags["max-in-flight"] === undefined
  ? undefined
  : integersFlag("max-in-flight", 1)[0];
const fixedReps = flags.reps === undefined ? undefined : integersFlag("reps", 1)[0];
const cases: Case[] = sizes.flatMap((bytes) =>
  linkKinds.flatMap((link) =>
    algorithms.flatMap((algorithm) =>
      dtypes.flatMap((dtype) =>
        spreads.flatMap((streams) =>
          chunkSizes.map((chunkElems) => ({ bytes, link, algorithm, dtype, streams, chunkElems }))
        )
      )
    )
  )
);

// Same repetition rule as Gloo's script, so both sides average over similar runs.
const repsFor = (bytes: number) =>
  fixedReps ?? Math.max(3, Math.min(200, Math.floor((1 << 28) / bytes)));
const algbw = (m: Measurement) => m.bytes / (m.ms / 1e3) / 1e9;
const busbw = (m: Measurement) => algbw(m) * (2 * (m.world - 1)) / m.world;

async function runRank(rank: number, world: number, token: string): Promise<void> {
  const hosts = String(flags.hosts).split(",");
  const plans = cases.map(({ bytes, algorithm, dtype, streams, chunkElems }) =>
    new AllReducePlan(bytes / 4, world, {
      algorithm,
      dtype,
      hosts,
      chunkElems,
      ...(streams > 0 && { streams }),
    })
  );
  const chunkLengthFor = (key: ChunkKey, from: number) =>
    plans[key.bucket]?.chunkLength(rank, from, key.chunk);
  const endpoints: Partial<Record<LinkKind, LinkEndpoint>> = {};
  for (const kind of linkKinds) {
    endpoints[kind] = await serveLinkEndpoint(kind, { token, hostname: flags.host, port: 0 });
    endpoints[kind].expect(chunkLengthFor);
  }
  console.log(JSON.stringify({ http: endpoints.http?.url, native: endpoints.native?.url }));
  // Each rank's first line is its URLs as JSON; the exchange hands them back as strings.
  const urls = (await readPeers()).map((u) => JSON.parse(u) as Record<LinkKind, string>);
  const links: Partial<Record<LinkKind, Link>> = {};
  for (const kind of linkKinds) {
    const peers = urls.map((u) => u[kind]);
    links[kind] = endpoints[kind]!.connect({ rank, peers, maxInFlight }, token);
  }
  const expected = (world * (world + 1)) / 2;
  let step = 0;
  for (const [bucket, plan] of plans.entries()) {
    const data = new Float32Array(plan.length);
    // Scratch is kept across steps, as the gradient reducer keeps it per bucket.
    const scratch = new Float32Array(plan.scratchLength(rank));
    const reduce = async () => {
      const t0 = performance.now();
      await plan.run(links[cases[bucket].link]!, rank, data, {
        step: step++,
        bucket,
        scratch,
        timeoutMs: 120_000,
      });
      return performance.now() - t0;
    };
    // The first result is checked; later ones sum what is there, as Gloo's script does, so
    // no rank spends time on a refill or a check between timed reductions.
    data.fill(rank + 1);
    await reduce();
    const wrong = data.findIndex((x) => x !== expected);
    if (wrong >= 0) {
      throw new Error(`rank ${rank}: element ${wrong} is ${data[wrong]}, not ${expected}`);
    }
    for (let i = 1; i < WARMUP; i++) await reduce();
    const times: number[] = [];
    for (let i = 0; i < repsFor(plan.length * 4); i++) times.push(await reduce());
    if (rank === 0) {
      const m: CaseMeasurement = {
        world,
        ...cases[bucket],
        ran: plan.algorithm,
        ms: median(times),
      };
      console.log(JSON.stringify(m));
    }
  }
  for (const link of Object.values(links)) await link.close();
  for (const endpoint of Object.values(endpoints)) await endpoint.shutdown();
}

/** The program and arguments that run `command` as rank `rank`: in its namespace, if any. */
function placed(network: EmulatedNetwork | undefined, rank: number, command: string[]) {
  return network
    ? { program: "ip", args: network.exec(rank, command) }
    : { program: command[0], args: command.slice(1) };
}

/** The namespace of rank `rank`'s host. */
const hostOf = (rank: number) => Math.floor(rank / perHost);

async function runWorld(world: number, network?: EmulatedNetwork): Promise<CaseMeasurement[]> {
  const token = newJobToken();
  const address = (rank: number) => network?.hosts[hostOf(rank)].address ?? "127.0.0.1";
  const hosts = Array.from({ length: world }, (_, rank) => address(rank)).join(",");
  const children = Array.from({ length: world }, (_, rank) => {
    const { program, args } = placed(network, hostOf(rank), [
      Deno.execPath(),
      "run",
      "-A",
      import.meta.filename!,
      `--net=${net}`,
      `--link=${flags.link}`,
      `--allreduce=${flags.allreduce}`,
      `--grad-dtype=${flags["grad-dtype"]}`,
      `--streams=${flags.streams}`,
      `--per-host=${perHost}`,
      `--sizes=${flags.sizes}`,
      `--chunk-elems=${flags["chunk-elems"]}`,
      ...(maxInFlight === undefined ? [] : [`--max-in-flight=${maxInFlight}`]),
      ...(fixedReps === undefined ? [] : [`--reps=${fixedReps}`]),
      `--rank=${rank}`,
      `--world=${world}`,
      `--host=${address(rank)}`,
      `--hosts=${hosts}`,
    ]);
    return new Deno.Command(program, {
      args,
      env: { [TOKEN_VARIABLE]: token },
      stdin: "piped",
      stdout: "piped",
    }).spawn();
  });
  const out = await exchangeUrls(children, `world ${world}`);
  return out.map((line) => JSON.parse(line) as CaseMeasurement);
}

async function canImportTorch(): Promise<boolean> {
  const probe = new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" });
  return (await probe.output().catch(() => undefined))?.success ?? false;
}

/** The measurements in Gloo's output lines. */
function glooLines(stdout: Uint8Array): Measurement[] {
  return new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const m = line.match(/world=(\d+) bytes=(\d+) time_ms=([\d.]+)/);
    return m ? [{ world: Number(m[1]), bytes: Number(m[2]), ms: Number(m[3]) }] : [];
  });
}

/** Gloo on loopback: the shared script, which starts every rank itself. */
async function runGlooLoopback(world: number): Promise<Measurement[]> {
  const script = flags["gloo-script"];
  const { stdout, success } = await new Deno.Command(PYTHON, {
    args: [script, String(world)],
    cwd: script.slice(0, script.lastIndexOf("/") + 1) || ".",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`${script} ${world} failed`);
  return glooLines(stdout);
}

/** Gloo on the emulated network: one process per rank, each in its rank's namespace. */
async function runGlooIn(network: EmulatedNetwork, world: number): Promise<Measurement[]> {
  const outputs = await Promise.all(Array.from({ length: world }, (_, rank) => {
    const master = network.hosts[0].address;
    const command = [PYTHON, GLOO_RANK, String(rank), String(world), master, GLOO_PORT];
    const { program, args } = placed(network, hostOf(rank), [...command, flags.sizes]);
    return new Deno.Command(program, {
      args,
      // Gloo binds the device named here, not whatever the host name resolves to.
      env: { GLOO_SOCKET_IFNAME: LINK_DEVICE },
      stderr: "inherit",
    }).output();
  }));
  const failed = outputs.findIndex((o) => !o.success);
  if (failed >= 0) throw new Error(`${GLOO_RANK}: rank ${failed} of ${world} failed`);
  return glooLines(outputs[0].stdout);
}

const formatSize = (bytes: number) =>
  bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MB`
    : bytes % (1 << 10) === 0
    ? `${bytes / (1 << 10)} KB`
    : `${bytes} B`;

/** The algorithm cell: what was asked for, and what ran where `auto` chose. */
const algorithmCell = (m: CaseMeasurement) =>
  m.algorithm === m.ran ? m.algorithm : `${m.algorithm} → ${m.ran}`;

/** One table row: ours beside Gloo's (`g`), busbw as a share of the link rate when shaped. */
function row(m: CaseMeasurement, g: Measurement | undefined): string {
  const link = linkBits ? `${(100 * busbw(m) * 8e9 / linkBits).toFixed(0)}%` : "–";
  const cells = [
    m.world,
    formatSize(m.bytes),
    m.link,
    algorithmCell(m),
    m.dtype,
    m.streams || "–",
    `${+(m.chunkElems / 256).toFixed(1)} KiB`,
    m.ms.toFixed(3),
    algbw(m).toFixed(3),
    busbw(m).toFixed(3),
    link,
    g ? g.ms.toFixed(3) : "–",
    g ? busbw(g).toFixed(3) : "–",
    g ? (busbw(m) / busbw(g)).toFixed(2) : "–",
  ];
  return `| ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const rows = [
    "| world | size | link | algorithm | wire | streams | chunk | gradmesh ms | algbw GB/s | busbw GB/s | " +
    "% of link | Gloo ms | Gloo busbw GB/s | busbw ratio |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  const withGloo = !flags["no-gloo"] && await canImportTorch();
  const loadAtStart = loadAverage();
  flags.worlds ??= net === "1gbe" ? "2,4,8" : "2,4";
  const worlds = integersFlag("worlds", 2);
  const kept: (CaseMeasurement & { glooMs: number | null })[] = [];
  for (const world of worlds) {
    const hostCount = Math.ceil(world / perHost);
    const network = linkBits ? await createNetwork(hostCount, linkBits) : undefined;
    try {
      const ours = await runWorld(world, network);
      const gloo = !withGloo
        ? undefined
        : network
        ? await runGlooIn(network, world)
        : await runGlooLoopback(world);
      for (const m of ours) {
        const g = gloo?.find((x) => x.bytes === m.bytes);
        rows.push(row(m, g));
        kept.push({ ...m, glooMs: g?.ms ?? null });
      }
    } finally {
      await network?.close();
    }
  }
  const table = rows.join("\n");
  console.log(table);
  const cores = navigator.hardwareConcurrency;
  const crowded = worlds.filter((world) => world > cores);
  const note = crowded.length
    ? `World ${crowded.join(", ")} on ${cores} cores: ranks share cores.`
    : "";
  if (note) console.log(`\n${note}`);
  if (flags.json) {
    const record = { net, bitsPerSecond: linkBits, perHost, measurements: kept };
    await writeTextAtomic(flags.json, JSON.stringify(record, null, 2) + "\n");
  }
  if (flags.write && linkBits) {
    const command = `deno task bench:allreduce ${Deno.args.join(" ")}`;
    const hosts = perHost > 1 ? `, ${perHost} ranks per host` : "";
    await replaceSection(
      `allreduce-${net}`,
      `## All-reduce on an emulated ${net} network${hosts}, Gloo in the same namespaces\n\n` +
        `${
          machineLine(command)
        }; load average at start ${loadAtStart}, at the end ${loadAverage()}\n\n` +
        `Links shaped to ${linkBits / 1e9} Gbit/s (${linkBits / 8e9} GB/s) each way with tc ` +
        `tbf, no added latency. % of link = busbw / link rate; busbw counts float32 bytes ` +
        `whatever the wire carries.\n\n${table}\n\n${note}\n`,
    );
  }
}

/** The 1-, 5- and 15-minute load averages. */
function loadAverage(): string {
  return Deno.loadavg().map((x) => x.toFixed(2)).join(", ");
}

if (flags.rank === undefined) await main();
else await runRank(Number(flags.rank), Number(flags.world), Deno.env.get(TOKEN_VARIABLE)!);
