/**
 * `deno task bench:scaling [--net loopback|1gbe|10gbe]`: samples/s and scaling efficiency
 * of the default training configuration with 1, 2 and 4 workers, then the all-reduce cost
 * model of docs/scaling.md fitted and checked against measurements, and its projection to
 * 8…1024 workers for the MLP, LeNet-5 and ResNet-20 at 1, 10 and 100 GbE.
 *
 * On an emulated network (bench/netns.ts) every worker runs in its own namespace behind a
 * shaped link, the coordinator beside rank 0. The all-reduce times come from
 * bench/allreduce.ts run in the same way (Gloo beside it), at 2, 4 and 8 ranks, or from
 * `--allreduce-json PATH` that it wrote earlier. α and β are fitted on the 2-rank times
 * only (each rank then has a core of its own) and the 4- and 8-rank times check them.
 *
 * ```sh
 * deno run -A bench/scaling.ts [--net 1gbe] [--link auto|native|http] [--allreduce-json PATH] [--write]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { chooseBackend } from "../backends/backend_choice.ts";
import { createCpuBackend } from "../core/cpu/backend.ts";
import { loadDataset } from "../core/data/source.ts";
import { buildTrainer, defaultTrainConfig } from "../core/train/config.ts";
import { fitConfig } from "../core/train/fit_config.ts";
import { TRAIN_PERMISSIONS } from "../coordinator/job/deno_permissions.ts";
import {
  type AllReduceTime,
  autoCollective,
  type Collective,
  collectiveSeconds,
  fitRing,
  weakScalingEfficiency,
} from "./cost_model.ts";
import { type LinkCost, ringSeconds } from "../coordinator/transport/algorithm_choice.ts";
import { LINK_CHOICES } from "../coordinator/transport/link_choice.ts";
import { createNetwork, type EmulatedNetwork, NET_PROFILES, type NetProfile } from "./netns.ts";
import { machineLine, replaceSection } from "./results.ts";

const { values: flags } = parseArgs({
  options: {
    net: { type: "string", default: "loopback" },
    // Every worker's --link, and the link bench/allreduce.ts measures.
    link: { type: "string", default: "auto" },
    "allreduce-json": { type: "string" },
    write: { type: "boolean", default: false },
  },
});
const net = flags.net as NetProfile;
if (!(net in NET_PROFILES)) {
  console.error(`--net: expected ${Object.keys(NET_PROFILES).join(" | ")}, got "${flags.net}"`);
  Deno.exit(2);
}
const linkBits = NET_PROFILES[net];
if (!(LINK_CHOICES as readonly string[]).includes(flags.link)) {
  console.error(`--link: expected ${LINK_CHOICES.join(" | ")}, got "${flags.link}"`);
  Deno.exit(2);
}

const EPOCHS = 2;
const config = { ...defaultTrainConfig, epochs: EPOCHS };
const MAIN = new URL("../cli/main.ts", import.meta.url).pathname;
const TOKEN = crypto.randomUUID();
const PORT = "29540";
// Sizes the model is fitted and checked on: latency-bound to bandwidth-bound.
const FIT_SIZES = [1 << 12, 1 << 16, 1 << 20, 1 << 22, 1 << 24];
// The default --log-every: one 16-float sum of metric totals every so many steps.
const LOG_EVERY = 50;
const SUM_BYTES = 64;
const WORKERS = [8, 16, 32, 64, 128, 256, 512, 1024];
const LINKS = [1, 10, 100];

/** Samples per second of the last epoch (the first compiles and warms up). */
async function samplesPerSecond(workers: number): Promise<number> {
  if (workers === 1) {
    const { backend } = await chooseBackend("cpu");
    try {
      const result = await fitConfig(config, backend, await loadDataset("mnist"), {
        checkpointPath: null,
        metricsPath: null,
        evalEvery: EPOCHS,
        logEvery: 1000,
      });
      const last = result.epochs[EPOCHS - 1];
      return last.train.count / last.seconds;
    } finally {
      // Its worker threads would keep the process alive.
      backend.destroy();
    }
  }
  const out = await Deno.makeTempDir({ prefix: "gradmesh-scaling-" });
  try {
    const args = [`--epochs=${EPOCHS}`, `--out=${out}`];
    if (linkBits) {
      const network = await createNetwork(workers, linkBits);
      try {
        await trainIn(network, args);
      } finally {
        await network.close();
      }
    } else {
      // A local job as users start it: the CLI, which spawns the workers.
      await run(Deno.execPath(), [
        "run",
        ...TRAIN_PERMISSIONS,
        MAIN,
        "train",
        "--quiet",
        "--dashboard=off",
        ...args,
        `--workers=${workers}`,
        `--link=${flags.link}`,
      ]);
    }
    const records = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
    return records.map((l) => JSON.parse(l)).findLast((r) => r.kind === "epoch").samples_per_s;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

/** Runs `program`, throwing its error output on failure; `signal` kills it. */
async function run(
  program: string,
  args: string[],
  env: Record<string, string> = {},
  signal?: AbortSignal,
) {
  const { success, stderr } = await new Deno.Command(program, {
    args,
    env,
    stdout: "null",
    stderr: "piped",
    signal,
  }).output();
  if (!success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
}

/** A coordinator beside rank 0 and one worker per namespace, as on a cluster. */
async function trainIn(network: EmulatedNetwork, args: string[]): Promise<void> {
  const world = network.hosts.length, master = network.hosts[0].address;
  // The machine's cores divided among the workers, as `train --workers` divides them.
  const threads = Math.max(1, Math.floor(navigator.hardwareConcurrency / world));
  const deno = (rank: number, cli: string[]) =>
    network.exec(rank, [Deno.execPath(), "run", ...TRAIN_PERMISSIONS, MAIN, ...cli]);
  const env = { GRADMESH_TOKEN: TOKEN, NO_COLOR: "1" };
  // One process failing stops the others, which would wait for it until their timeouts.
  const stop = new AbortController();
  const coordinator = run(
    "ip",
    deno(0, ["coordinator", `--world=${world}`, `--host=${master}`, `--port=${PORT}`, ...args]),
    env,
    stop.signal,
  );
  const workers = network.hosts.map((h, rank) =>
    run(
      "ip",
      deno(rank, [
        "worker",
        `--host=${h.address}`,
        "--backend=cpu",
        `--threads=${threads}`,
        `--link=${flags.link}`,
      ]),
      {
        ...env,
        RANK: String(rank),
        WORLD_SIZE: String(world),
        MASTER_ADDR: master,
        MASTER_PORT: PORT,
      },
    )
  );
  await Promise.all([coordinator, ...workers]);
}

/** All-reduce times at 2, 4 and 8 ranks: from `--allreduce-json`, else measured now. */
async function allReduceTimes(): Promise<{ ours: AllReduceTime[]; gloo: AllReduceTime[] }> {
  let path = flags["allreduce-json"];
  if (!path) {
    path = await Deno.makeTempFile({ suffix: ".json" });
    const bench = new URL("./allreduce.ts", import.meta.url).pathname;
    await run(Deno.execPath(), [
      "run",
      "-A",
      bench,
      `--net=${net}`,
      `--link=${flags.link}`,
      "--worlds=2,4,8",
      `--sizes=${FIT_SIZES.join(",")}`,
      `--json=${path}`,
    ]);
  }
  const { measurements } = JSON.parse(await Deno.readTextFile(path)) as {
    measurements: { world: number; bytes: number; ms: number; glooMs: number | null }[];
  };
  return {
    ours: measurements.map((m) => ({ world: m.world, bytes: m.bytes, seconds: m.ms / 1e3 })),
    gloo: measurements.flatMap((m) =>
      m.glooMs === null ? [] : [{ world: m.world, bytes: m.bytes, seconds: m.glooMs / 1e3 }]
    ),
  };
}

/** Predicted against measured for every point, with the relative error. */
function validation(link: LinkCost, ours: AllReduceTime[], gloo: AllReduceTime[]): string[] {
  const rows = [
    "| ranks | size | measured ms | predicted ms | error | Gloo ms |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const errors = new Map<number, number[]>();
  for (const m of ours) {
    const predicted = ringSeconds(m.bytes, m.world, link);
    const error = (predicted - m.seconds) / m.seconds;
    errors.set(m.world, [...errors.get(m.world) ?? [], Math.abs(error)]);
    const g = gloo.find((x) => x.world === m.world && x.bytes === m.bytes);
    rows.push(
      `| ${m.world} | ${m.bytes} B | ${(m.seconds * 1e3).toFixed(2)} | ${
        (predicted * 1e3).toFixed(2)
      } | ${(100 * error).toFixed(0)}% | ${g ? (g.seconds * 1e3).toFixed(2) : "–"} |`,
    );
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  rows.push(
    "",
    "Mean absolute error: " +
      [...errors].map(([n, e]) => `${(100 * mean(e)).toFixed(0)}% at ${n} ranks`).join(", ") + ".",
  );
  return rows;
}

/** Gradient floats of a model, from the model itself. */
function gradientFloats(model: string, sampleShape: number[]): number {
  const trainer = buildTrainer({ ...defaultTrainConfig, model }, createCpuBackend(), {
    sampleShape,
    classes: 10,
  });
  return trainer.flat.params.size;
}

/** The row of the table in section `name` of bench/RESULTS.md whose first cell starts with `first`. */
function recordedRow(results: string, name: string, first: string): string[] {
  const start = results.indexOf(`<!-- ${name} -->`), end = results.indexOf(`<!-- /${name} -->`);
  const row = results.slice(start, end).split("\n").find((l) => l.startsWith(`| ${first}`));
  if (start < 0 || end < start || !row) {
    throw new Error(`bench/RESULTS.md: section "${name}" has no row starting "${first}"`);
  }
  return row.split("|").slice(1, -1).map((c) => c.trim());
}

/**
 * Per-worker step times at batch 64 as recorded in bench/RESULTS.md: the fast CPU backend
 * on this machine (sections engine and conv), and WebGPU on an H100 (engine-h100).
 */
async function recordedSteps(): Promise<
  { name: string; model: string; shape: number[]; stepMs: number }[]
> {
  const results = await Deno.readTextFile(new URL("./RESULTS.md", import.meta.url));
  const ms = (cell: string) => parseFloat(cell);
  const conv = recordedRow(
    results,
    "conv",
    "gradmesh cpu (wasm relaxed-simd, 2 threads; sgemm: openblas",
  );
  return [
    {
      name: "MLP 784-128-10, CPU",
      model: "784-128-10",
      shape: [784],
      stepMs: ms(recordedRow(results, "engine", "MLP 784-128-10 step, batch 64")[1]),
    },
    {
      name: "MLP 784-128-10, H100 WebGPU",
      model: "784-128-10",
      shape: [784],
      stepMs: ms(recordedRow(results, "engine-h100", "MLP step, batch 64")[2]),
    },
    { name: "LeNet-5, CPU", model: "lenet5", shape: [1, 28, 28], stepMs: ms(conv[1]) },
    { name: "ResNet-20, CPU", model: "resnet20", shape: [3, 32, 32], stepMs: ms(conv[2]) },
  ];
}

/**
 * A `gbit` Gbit/s link as projected from the fitted one: the same α, and β the share of the
 * emulated link's rate that the fit found (on loopback: the full rate).
 */
function linkAt(link: LinkCost, gbit: number): LinkCost {
  const share = linkBits ? link.bytesPerS * 8 / linkBits : 1;
  return { alphaS: link.alphaS, bytesPerS: share * gbit * 1e9 / 8 };
}

/** Efficiency of every model at every link rate and worker count, with what auto picks. */
function projection(
  link: LinkCost,
  models: { name: string; floats: number; stepMs: number }[],
): string[] {
  const rows = [
    `| model | gradient | step ms | link | ${WORKERS.join(" | ")} | 90% at 256 needs |`,
    `| --- | ---: | ---: | --- | ${WORKERS.map(() => "---:").join(" | ")} | ---: |`,
  ];
  for (const m of models) {
    for (const gbit of LINKS) {
      const at = linkAt(link, gbit);
      const cost = (n: number) => {
        const all = autoCollective(4 * m.floats, n, at);
        // Metric totals: one small all-reduce every LOG_EVERY steps.
        return { ...all, extra: autoCollective(SUM_BYTES, n, at).seconds / LOG_EVERY };
      };
      const cells = WORKERS.map((n) => {
        const { collective, seconds, extra } = cost(n);
        const e = weakScalingEfficiency(m.stepMs / 1e3, seconds, extra);
        return `${(100 * e).toFixed(0)}% ${collective}`;
      });
      // The step time at which 256 workers reach 90%: compute = 9 × communication.
      const at256 = cost(256);
      const needs = `${(9 * (at256.seconds + at256.extra) * 1e3).toFixed(1)} ms`;
      const mb = (4 * m.floats / 2 ** 20).toFixed(2);
      rows.push(
        `| ${m.name} | ${mb} MB | ${m.stepMs.toFixed(1)} | ${gbit} GbE | ${
          cells.join(" | ")
        } | ${needs} |`,
      );
    }
  }
  return rows;
}

/** Efficiency of every model with every flat algorithm at `n` workers on `gbit` links. */
function byAlgorithm(
  link: LinkCost,
  models: { name: string; floats: number; stepMs: number }[],
  n: number,
  gbit: number,
): string[] {
  const at = linkAt(link, gbit);
  const names: Collective[] = ["ring", "tree", "halving"];
  const rows = [
    `| model | ${names.join(" | ")} |`,
    `| --- | ${names.map(() => "---:").join(" | ")} |`,
  ];
  for (const m of models) {
    const cells = names.map((c) => {
      const comm = collectiveSeconds(c, 4 * m.floats, n, at);
      const sums = collectiveSeconds(c, SUM_BYTES, n, at) / LOG_EVERY;
      return `${(100 * weakScalingEfficiency(m.stepMs / 1e3, comm, sums)).toFixed(0)}%`;
    });
    rows.push(`| ${m.name} | ${cells.join(" | ")} |`);
  }
  return rows;
}

if (import.meta.main) {
  const rates: { workers: number; rate: number }[] = [];
  for (const workers of [1, 2, 4]) rates.push({ workers, rate: await samplesPerSecond(workers) });
  const measuredRows = rates.map(({ workers, rate }) =>
    `| ${workers} | ${Math.round(rate)} | ${(100 * rate / (workers * rates[0].rate)).toFixed(0)}% |`
  );
  const { ours, gloo } = await allReduceTimes();
  // 2 ranks, each with a core of its own; without the sizes whose messages fit the shaper's
  // burst (bench/netns.ts), which pass faster than the link.
  const fitted = ours.filter((m) =>
    m.world === 2 && (m.bytes === Math.min(...ours.map((o) => o.bytes)) || m.bytes >= 1 << 20)
  );
  const link = fitRing(fitted);
  const models = (await recordedSteps()).map((m) => ({
    ...m,
    floats: gradientFloats(m.model, m.shape),
  }));
  const text = [
    `Measured, global batch 64 split across workers, ${
      linkBits ? `each worker in its own namespace behind a ${net} link` : "on loopback"
    } (all processes share this machine's cores):`,
    "",
    "| workers | samples/s | scaling efficiency |",
    "| ---: | ---: | ---: |",
    ...measuredRows,
    "",
    `Ring fitted on the 2-rank all-reduces of ${
      fitted.map((m) => m.bytes).join(", ")
    } bytes (least squares on relative error): α = ${
      (link.alphaS * 1e3).toFixed(3)
    } ms per message, β = ${(link.bytesPerS / 1e9).toFixed(3)} GB/s${
      linkBits ? ` (${(100 * link.bytesPerS * 8 / linkBits).toFixed(0)}% of the link)` : ""
    }. Predicted 2(N−1)(α + S/(Nβ)) against measured (4 and 8 ranks share 2 cores):`,
    "",
    ...validation(link, ours, gloo),
    "",
    "Projected weak-scaling efficiency: batch 64 per worker, step times as recorded in " +
    "bench/RESULTS.md (sections engine and conv: the fast CPU backend on this machine; " +
    "engine-h100: WebGPU on an H100, timed by the former engine bench), one worker per host, " +
    `α as fitted, β ${
      linkBits ? "the same share of each link's rate as fitted here" : "each link's full rate"
    }, the all-reduce after backward with ` +
    `no overlap (one bucket per step: every model here is below the 25 MB bucket cap), a ` +
    `metric sum every ${LOG_EVERY} steps; beside each, what \`--allreduce auto\` runs (the ` +
    "cheaper of ring and tree; halving is opt-in), and the step time that 256 workers need " +
    "for 90%:",
    "",
    ...projection(link, models),
    "",
    "Each algorithm at 256 workers on 10 GbE, same assumptions:",
    "",
    ...byAlgorithm(link, models, 256, 10),
  ].join("\n");
  console.log(text);
  if (flags.write) {
    const head = machineLine(`deno task bench:scaling ${Deno.args.join(" ")}`);
    await replaceSection(
      linkBits ? `scaling-${net}` : "scaling",
      `## Scaling on ${linkBits ? `an emulated ${net} network` : "loopback"}: measured, ` +
        `cost model checked, projected\n\n${head}\n\n${text}\n`,
    );
  }
}
