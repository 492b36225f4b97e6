/**
 * `deno task bench:scaling`: samples/s and scaling efficiency of the default training
 * configuration with 1, 2 and 4 workers on this machine, and a ring cost model — the
 * per-message latency and bandwidth of the HTTP ring measured here — projecting 8 to 256
 * workers. With `--write`, records the tables in bench/RESULTS.md.
 *
 * @module
 */

import { createCpuBackend } from "../core/cpu/backend.ts";
import { loadDataset } from "../core/data/source.ts";
import { defaultTrainConfig } from "../core/train/config.ts";
import { fitConfig } from "../core/train/fit_config.ts";
import { HttpLink } from "../coordinator/transport/http_link.ts";
import { ringAllReduce } from "../coordinator/transport/ring.ts";
import { RingPlan } from "../coordinator/transport/ring_plan.ts";
import { serveRing } from "../coordinator/transport/ring_server.ts";
import { newJobToken } from "../coordinator/transport/token.ts";
import { TRAIN_PERMISSIONS } from "../coordinator/job/deno_permissions.ts";
import { machineLine, replaceSection } from "./results.ts";

const EPOCHS = 2;
const config = { ...defaultTrainConfig, epochs: EPOCHS };
const SAMPLES = 8000;
// 784·128 + 128 + 128·10 + 10 parameters, so many floats per step's all-reduce.
const GRADIENT_FLOATS = 101_770;

/** Seconds of the last epoch (the first compiles and warms up) with `workers` workers. */
async function epochSeconds(workers: number): Promise<number> {
  if (workers === 1) {
    const result = await fitConfig(config, createCpuBackend(), await loadDataset("mnist"), {
      checkpointPath: null,
      metricsPath: null,
      evalEvery: EPOCHS,
      logEvery: 1000,
    });
    return result.epochs[EPOCHS - 1].seconds;
  }
  // A local job as users start it: the CLI, which spawns the workers.
  const out = await Deno.makeTempDir();
  const main = new URL("../cli/main.ts", import.meta.url).pathname;
  const args = [`--workers=${workers}`, "--backend=cpu", `--epochs=${EPOCHS}`, `--out=${out}`];
  const { success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...TRAIN_PERMISSIONS, main, "train", "--quiet", "--dashboard=off", ...args],
    stdout: "null",
  }).output();
  if (!success) throw new Error(`train ${args.join(" ")} failed`);
  const records = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n");
  const last = records.map((l) => JSON.parse(l)).findLast((r) => r.kind === "epoch");
  return SAMPLES / last.samples_per_s;
}

/** Median seconds of a 2-rank HTTP ring all-reduce of `floats`, both ranks in this process. */
async function ringSeconds(floats: number, reps: number): Promise<number> {
  const token = newJobToken();
  const plan = new RingPlan(floats, 2);
  const servers = [0, 1].map((rank) =>
    serveRing({ token, chunkLengthFor: (k, from) => plan.chunkLength(rank, from, k.chunk) })
  );
  const peers = servers.map((s) => s.url);
  const links = servers.map((s, rank) => new HttpLink({ rank, peers, token, mailbox: s.mailbox }));
  const data = [0, 1].map(() => new Float32Array(floats).fill(1));
  const times: number[] = [];
  for (let step = 0; step < reps + 2; step++) {
    const t0 = performance.now();
    await Promise.all(links.map((l, r) => ringAllReduce(l, r, 2, data[r], { step, bucket: 0 })));
    if (step >= 2) times.push((performance.now() - t0) / 1000);
  }
  await Promise.all(links.map((l) => l.close()));
  await Promise.all(servers.map((s) => s.shutdown()));
  return times.sort((a, b) => a - b)[times.length >> 1];
}

/**
 * The ring's cost for N workers: 2(N−1) sequential transfers of S/N floats, each paying
 * the per-message latency α plus (4·S/N bytes)/β.
 */
function ringModel(alpha: number, beta: number, floats: number, n: number): number {
  return n === 1 ? 0 : 2 * (n - 1) * (alpha + (4 * floats / n) / beta);
}

if (import.meta.main) {
  const measured = [];
  for (const workers of [1, 2, 4]) measured.push({ workers, seconds: await epochSeconds(workers) });
  const base = SAMPLES / measured[0].seconds;
  const rows = measured.map(({ workers, seconds }) => {
    const rate = SAMPLES / seconds;
    return `| ${workers} | ${seconds.toFixed(2)} | ${Math.round(rate)} | ${
      (100 * rate / (workers * base)).toFixed(0)
    }% |`;
  });
  // Two message sizes give latency and bandwidth of one transfer (2 transfers per 2-rank ring).
  const small = await ringSeconds(1024, 50), large = await ringSeconds(1 << 20, 10);
  const alpha = small / 2;
  const beta = (4 * ((1 << 20) - 1024) / 2) / ((large - small) / 2);
  const stepCompute = measured[0].seconds / Math.ceil(SAMPLES / config.batchSize);
  const projection = [8, 16, 32, 64, 128, 256].map((n) => {
    const comm = ringModel(alpha, beta, GRADIENT_FLOATS, n);
    // Weak scaling: each worker keeps a batch of 64, so compute per step stays the same.
    const efficiency = stepCompute / (stepCompute + comm);
    return `| ${n} | ${(comm * 1e3).toFixed(1)} | ${(efficiency * 100).toFixed(0)}% |`;
  });
  const text = [
    "Measured, global batch 64 split across workers (all processes share this machine's cores):",
    "",
    "| workers | s/epoch | samples/s | scaling efficiency |",
    "| ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `Ring cost model from a 2-rank HTTP ring on loopback: latency α = ${
      (alpha * 1e3).toFixed(3)
    } ms per ` +
    `message, bandwidth β = ${(beta / 1e9).toFixed(2)} GB/s; one step computes in ` +
    `${(stepCompute * 1e3).toFixed(1)} ms (batch 64, CPU backend). Projected all-reduce of the ` +
    `${GRADIENT_FLOATS}-float gradient, 2(N−1)(α + 4S/(Nβ)), and weak-scaling efficiency ` +
    "(every worker keeps a batch of 64, no overlap of communication with compute):",
    "",
    "| workers | all-reduce ms | efficiency |",
    "| ---: | ---: | ---: |",
    ...projection,
  ].join("\n");
  console.log(text);
  if (Deno.args.includes("--write")) {
    const head = machineLine("deno task bench:scaling --write");
    await replaceSection(
      "scaling",
      `## Scaling: 1, 2, 4 workers and a ring cost model\n\n${head}\n\n${text}\n`,
    );
  }
}
