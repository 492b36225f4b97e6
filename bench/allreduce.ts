/**
 * All-reduce latency and bus bandwidth over real HTTP on 127.0.0.1, one Deno process per
 * rank, side by side with Gloo (PyTorch) when `/usr/bin/python3` can import torch.
 *
 * ```sh
 * deno run -A bench/allreduce.ts [--worlds 2,4] [--sizes 4096,65536,...] [--chunk-elems N]
 *   [--max-in-flight N] [--algorithm ring|tree|hier|auto] [--grad-dtype fp32|fp16|bf16]
 *   [--gloo-script PATH | --no-gloo]
 * ```
 *
 * busbw = algbw × 2(n − 1)/n with algbw = bytes / time (the nccl-tests convention, as in
 * Gloo's script). Our time is the median of the repetitions on rank 0; Gloo's script
 * reports the mean. Every rank checks the first result before timing.
 *
 * The same file runs each rank (`--rank`, job token in the environment): it listens,
 * prints its URL, reads every rank's URL from stdin, then reduces and prints one JSON line
 * per size from rank 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { HttpLink } from "../coordinator/transport/http_link.ts";
import { AllReducePlan } from "../coordinator/transport/all_reduce.ts";
import type { AllReduceAlgorithm } from "../coordinator/transport/algorithm_choice.ts";
import { DEFAULT_CHUNK_ELEMS } from "../coordinator/transport/ring_plan.ts";
import type { WireDtype } from "../coordinator/transport/wire_dtype.ts";
import { serveRing } from "../coordinator/transport/ring_server.ts";
import { newJobToken } from "../coordinator/transport/token.ts";

const TOKEN_VARIABLE = "GRADMESH_BENCH_TOKEN";
const PYTHON = "/usr/bin/python3";
const DEFAULT_SIZES = [1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24, 1 << 26];
const WARMUP = 2;

interface Measurement {
  world: number;
  bytes: number;
  ms: number;
}

const { values: flags } = parseArgs({
  options: {
    worlds: { type: "string", default: "2,4" },
    sizes: { type: "string", default: DEFAULT_SIZES.join(",") },
    "chunk-elems": { type: "string", default: String(DEFAULT_CHUNK_ELEMS) },
    // HttpLink's own default unless given.
    "max-in-flight": { type: "string" },
    // busbw counts the float32 bytes whatever travels, so 16 bits shows as a gain.
    algorithm: { type: "string", default: "ring" },
    "grad-dtype": { type: "string", default: "fp32" },
    "gloo-script": { type: "string", default: "/work/shared/peers/gloo_allreduce.py" },
    "no-gloo": { type: "boolean", default: false },
    rank: { type: "string" },
    world: { type: "string" },
  },
});
const sizes = flags.sizes.split(",").map(Number);
const chunkElems = Number(flags["chunk-elems"]);
const maxInFlight = flags["max-in-flight"] === undefined
  ? undefined
  : Number(flags["max-in-flight"]);

// Same repetition rule as Gloo's script, so both sides average over similar runs.
const repsFor = (bytes: number) => Math.max(3, Math.min(200, Math.floor((1 << 28) / bytes)));
const busbw = (m: Measurement) => (m.bytes / (m.ms / 1e3) / 1e9) * (2 * (m.world - 1)) / m.world;
const median = (xs: number[]) => {
  const s = xs.toSorted((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let rest = "";
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + text).split("\n");
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest) yield rest;
}

async function runRank(rank: number, world: number, token: string): Promise<void> {
  const algorithm = flags.algorithm as AllReduceAlgorithm, dtype = flags["grad-dtype"] as WireDtype;
  const plans = sizes.map((bytes) =>
    new AllReducePlan(bytes / 4, world, { chunkElems, algorithm, dtype })
  );
  const server = serveRing({
    token,
    chunkLengthFor: (key, from) => plans[key.bucket]?.chunkLength(rank, from, key.chunk),
  });
  console.log(server.url);
  const input = lines(Deno.stdin.readable);
  const peers: string[] = JSON.parse((await input.next()).value);
  const link = new HttpLink({ rank, peers, token, mailbox: server.mailbox, maxInFlight });
  let step = 0;
  for (const [bucket, bytes] of sizes.entries()) {
    const data = new Float32Array(bytes / 4).fill(rank + 1);
    // Scratch is kept across steps, as the gradient reducer keeps it per bucket.
    const scratch = new Float32Array(plans[bucket].scratchLength(rank));
    const reduce = () => plans[bucket].run(link, rank, data, { step: step++, bucket, scratch });
    await reduce();
    const expected = (world * (world + 1)) / 2;
    const wrong = data.findIndex((x) => x !== expected);
    if (wrong >= 0) {
      throw new Error(`rank ${rank}: element ${wrong} is ${data[wrong]}, not ${expected}`);
    }
    for (let i = 0; i < WARMUP; i++) await reduce();
    const times: number[] = [];
    for (let i = 0; i < repsFor(bytes); i++) {
      const t0 = performance.now();
      await reduce();
      times.push(performance.now() - t0);
    }
    if (rank === 0) console.log(JSON.stringify({ world, bytes, ms: median(times) }));
  }
  await link.close();
  await server.shutdown();
}

async function runWorld(world: number): Promise<Measurement[]> {
  const token = newJobToken();
  const children = Array.from({ length: world }, (_, rank) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        import.meta.filename!,
        `--rank=${rank}`,
        `--world=${world}`,
        `--sizes=${flags.sizes}`,
        `--chunk-elems=${chunkElems}`,
        `--algorithm=${flags.algorithm}`,
        `--grad-dtype=${flags["grad-dtype"]}`,
        ...(maxInFlight === undefined ? [] : [`--max-in-flight=${maxInFlight}`]),
      ],
      env: { [TOKEN_VARIABLE]: token },
      stdin: "piped",
      stdout: "piped",
    }).spawn());
  const outputs = children.map((child) => lines(child.stdout));
  const urls = await Promise.all(outputs.map(async (out) => (await out.next()).value));
  for (const child of children) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(urls) + "\n"));
    await writer.close();
  }
  const results: Measurement[] = [];
  for await (const line of outputs[0]) results.push(JSON.parse(line));
  await Promise.all(
    outputs.slice(1).map(async (out) => {
      for await (const _ of out);
    }),
  );
  const statuses = await Promise.all(children.map((child) => child.status));
  const failed = statuses.findIndex((s) => !s.success);
  if (failed >= 0) {
    throw new Error(`world ${world}: rank ${failed} exited with ${statuses[failed].code}`);
  }
  return results;
}

async function canImportTorch(): Promise<boolean> {
  const probe = new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" });
  return (await probe.output().catch(() => undefined))?.success ?? false;
}

async function runGloo(world: number): Promise<Measurement[]> {
  const script = flags["gloo-script"];
  const { stdout, success } = await new Deno.Command(PYTHON, {
    args: [script, String(world)],
    cwd: script.slice(0, script.lastIndexOf("/") + 1) || ".",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error(`${script} ${world} failed`);
  return new TextDecoder().decode(stdout).split("\n").flatMap((line) => {
    const m = line.match(/world=(\d+) bytes=(\d+) time_ms=([\d.]+)/);
    return m ? [{ world: Number(m[1]), bytes: Number(m[2]), ms: Number(m[3]) }] : [];
  });
}

const formatSize = (bytes: number) =>
  bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MB`
    : bytes % (1 << 10) === 0
    ? `${bytes / (1 << 10)} KB`
    : `${bytes} B`;

async function main(): Promise<void> {
  const rows = [
    "| world | size | gradmesh ms | gradmesh busbw GB/s | Gloo ms | Gloo busbw GB/s | busbw ratio |",
  ];
  rows.push("|---|---|---|---|---|---|---|");
  const withGloo = !flags["no-gloo"] && await canImportTorch();
  const worlds = flags.worlds.split(",").map(Number);
  for (const world of worlds) {
    const ours = await runWorld(world);
    const gloo = withGloo ? await runGloo(world) : undefined;
    for (const m of ours) {
      const g = gloo?.find((x) => x.bytes === m.bytes);
      const cells = [
        world,
        formatSize(m.bytes),
        m.ms.toFixed(3),
        busbw(m).toFixed(3),
        g ? g.ms.toFixed(3) : "–",
        g ? busbw(g).toFixed(3) : "–",
        g ? (busbw(m) / busbw(g)).toFixed(2) : "–",
      ];
      rows.push(`| ${cells.join(" | ")} |`);
    }
  }
  console.log(rows.join("\n"));
  const cores = navigator.hardwareConcurrency;
  const crowded = worlds.filter((world) => world > cores);
  if (crowded.length) {
    console.log(`\nWorld ${crowded.join(", ")} on ${cores} cores: ranks share cores.`);
  }
}

if (flags.rank === undefined) await main();
else await runRank(Number(flags.rank), Number(flags.world), Deno.env.get(TOKEN_VARIABLE)!);
