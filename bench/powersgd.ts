/**
 * One optimizer step's gradient reduction with and without PowerSGD, over real HTTP with one
 * Deno process per rank: on 127.0.0.1, or with `--net 1gbe|10gbe` on an emulated network
 * (bench/netns.ts: a namespace per rank, links shaped to the profile's rate). Every case
 * runs in the same rank processes one after the other, so their ratios hold on a loaded
 * machine.
 *
 * ```sh
 * deno run -A bench/powersgd.ts [--net loopback|1gbe|10gbe] [--world 2]
 *   [--models 784-128-10,lenet5] [--ranks 1,4] [--reps N] [--write]
 * ```
 *
 * Each rank builds the model's trainer (CPU backend; LeNet-5 and other convolutional models
 * on a 1 × 28 × 28 sample), fills its flat gradient with seeded values and times
 * `GradientReducer`'s whole step, as training runs it: the plain all-reduce of every bucket,
 * or PowerSGD's three vectors and its compression arithmetic. Backward is not run, so the
 * plain all-reduce gets no overlap with it here (nor does PowerSGD in training). Floats per
 * step: what each rank hands to the all-reduces. `--write` records the table in
 * bench/RESULTS.md.
 *
 * The same file runs each rank (`--rank`): it listens on `--host`, prints its URL, reads
 * every rank's URL from stdin, then prints one JSON line per case from rank 0.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { Rng } from "../core/rng.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import type { Trainer } from "../core/train/trainer.ts";
import { BucketPlan, planForTrainer } from "../coordinator/job/bucket_plan.ts";
import { GradientReducer } from "../coordinator/job/gradient_reducer.ts";
import { PowerSgd } from "../coordinator/job/powersgd.ts";
import { HttpLink } from "../coordinator/transport/http_link.ts";
import { serveRing } from "../coordinator/transport/ring_server.ts";
import { newJobToken } from "../coordinator/transport/token.ts";
import { createNetwork, type EmulatedNetwork, NET_PROFILES, type NetProfile } from "./netns.ts";
import { machineLine, replaceSection } from "./results.ts";
import { exchangeUrls, readPeers } from "./rank_processes.ts";

const TOKEN_VARIABLE = "GRADMESH_BENCH_TOKEN";
// Steps of one case are numbered from case × this, so each case's chunks find its plan.
const CASE_STEPS = 1_000_000;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    net: { type: "string", default: "loopback" },
    world: { type: "string", default: "2" },
    models: { type: "string", default: `${defaultTrainConfig.model},lenet5` },
    ranks: { type: "string", default: "1,4" },
    reps: { type: "string", default: "20" },
    write: { type: "boolean", default: false },
    rank: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    hosts: { type: "string" },
  },
});

const net = flags.net as NetProfile;
if (!(net in NET_PROFILES)) {
  console.error(`--net: expected one of ${Object.keys(NET_PROFILES).join(", ")}, got ${net}`);
  Deno.exit(2);
}
const positive = (name: "world" | "reps" | "ranks", min: number) =>
  String(flags[name]).split(",").map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < min) {
      console.error(`--${name}: expected integers >= ${min}, got ${flags[name]}`);
      Deno.exit(2);
    }
    return n;
  });
const world = positive("world", 2)[0];
const reps = positive("reps", 1)[0];
const ranks = positive("ranks", 1);
const models = String(flags.models).split(",");

/** One timed case: a model's gradient reduced whole (`rank` 0) or by PowerSGD at `rank`. */
interface Case {
  readonly model: string;
  readonly rank: number;
}
const cases: Case[] = models.flatMap((model) => [0, ...ranks].map((rank) => ({ model, rank })));

/** What rank 0 reports of one case. */
interface Result extends Case {
  readonly floats: number;
  readonly ms: number;
}

function trainerFor(model: string): Trainer {
  const config = { ...defaultTrainConfig, model };
  const mlp = /^\d+(-\d+)+$/.test(model);
  return buildTrainer(
    config,
    createCpuBackend(),
    mlp ? undefined : { sampleShape: [1, 28, 28], classes: 10 },
  );
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[xs.length >> 1];

async function runRank(rank: number, token: string): Promise<void> {
  const hosts = String(flags.hosts).split(",");
  const trainers = new Map(models.map((m) => [m, trainerFor(m)]));
  const setups = cases.map((c) => {
    const trainer = trainers.get(c.model)!;
    const powerSgd = c.rank === 0
      ? undefined
      : new PowerSgd(trainer.flat.slots, world, { rank: c.rank, seed: 0 });
    const plan: BucketPlan = planForTrainer(trainer, world, false, undefined, undefined, {
      algorithm: "auto",
      hosts,
      powerSgdLengths: powerSgd?.vectorLengths,
    });
    return { trainer, powerSgd, plan };
  });
  const server = serveRing({
    token,
    hostname: flags.host,
    chunkLengthFor: (key, from) =>
      setups[Math.floor(key.step / CASE_STEPS)]?.plan.chunkLengthFor(rank)(key, from),
  });
  console.log(server.url);
  const peers = await readPeers();
  const link = new HttpLink({ rank, peers, token, mailbox: server.mailbox });
  for (const [i, { trainer, powerSgd, plan }] of setups.entries()) {
    const { backend, grads, size } = trainer.flat;
    const reducer = new GradientReducer(link, {
      rank,
      plan,
      backend,
      powerSgd,
      timeoutMs: 120_000,
    });
    reducer.step = i * CASE_STEPS;
    const rng = new Rng(rank + 1);
    const gradient = Float32Array.from({ length: size }, () => rng.normal() * 1e-3);
    const times: number[] = [];
    for (let k = 0; k < reps + 2; k++) {
      backend.write(grads, gradient);
      const t0 = performance.now();
      await reducer.reduceGradients(grads, []).finish();
      if (k >= 2) times.push(performance.now() - t0); // two warm-up steps
      reducer.step++;
    }
    if (rank === 0) {
      const floats = powerSgd
        ? powerSgd.vectorLengths.reduce((a, b) => a + b, 0)
        : trainer.flat.size;
      const result: Result = { ...cases[i], floats, ms: median(times) };
      console.log(JSON.stringify(result));
    }
  }
  await link.close();
  await server.shutdown();
}

async function runWorld(network?: EmulatedNetwork): Promise<Result[]> {
  const token = newJobToken();
  const address = (rank: number) => network?.hosts[rank].address ?? "127.0.0.1";
  const hosts = Array.from({ length: world }, (_, rank) => address(rank)).join(",");
  const children = Array.from({ length: world }, (_, rank) => {
    const command = [
      Deno.execPath(),
      "run",
      "-A",
      import.meta.filename!,
      `--net=${net}`,
      `--world=${world}`,
      `--models=${flags.models}`,
      `--ranks=${flags.ranks}`,
      `--reps=${reps}`,
      `--rank=${rank}`,
      `--host=${address(rank)}`,
      `--hosts=${hosts}`,
    ];
    const args = network ? network.exec(rank, command) : command.slice(1);
    return new Deno.Command(network ? "ip" : command[0], {
      args,
      env: { [TOKEN_VARIABLE]: token },
      stdin: "piped",
      stdout: "piped",
    }).spawn();
  });
  const out = await exchangeUrls(children, "bench:powersgd");
  return out.map((line) => JSON.parse(line) as Result);
}

async function main(): Promise<void> {
  const bits = NET_PROFILES[net];
  const network = bits === null ? undefined : await createNetwork(world, bits);
  let results: Result[];
  try {
    results = await runWorld(network);
  } finally {
    await network?.close();
  }
  const rows = [
    "| model | gradient | floats per step | MB per step | step ms | vs fp32 |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const plain = results.find((x) => x.model === r.model && x.rank === 0)!;
    rows.push(
      `| ${r.model} | ${r.rank ? `PowerSGD rank ${r.rank}` : "fp32, whole"} | ` +
        `${r.floats.toLocaleString("en")} | ${(r.floats * 4 / 1e6).toFixed(3)} | ` +
        `${r.ms.toFixed(2)} | ${(plain.ms / r.ms).toFixed(2)}× |`,
    );
  }
  const table = rows.join("\n");
  console.log(table);
  if (flags.write) {
    const command = `deno task bench:powersgd ${Deno.args.join(" ")}`;
    await replaceSection(
      `powersgd-${net}`,
      `## PowerSGD: one step's gradient reduction, ${world} ranks, ${net}\n\n` +
        `${machineLine(command)}; load average at the end ` +
        `${Deno.loadavg().map((x) => x.toFixed(2)).join(", ")}\n\n` +
        `Median of ${reps} steps on rank 0; vs fp32 = the whole fp32 all-reduce's time / ` +
        `this case's (same processes, same run). Floats per step: what each rank hands ` +
        `to the all-reduces.\n\n${table}\n`,
    );
  }
}

if (flags.rank === undefined) await main();
else await runRank(Number(flags.rank), Deno.env.get(TOKEN_VARIABLE)!);
