/**
 * `deno task bench:train`: seconds of the training steps of one epoch and samples/s of the
 * default `train` configuration (MLP 784-128-10, SGD, batch 64, bundled MNIST) against PyTorch
 * CPU on the same data, threads and machine in one run (bench/torch_train.py). Both sides time
 * the same work: the shuffle and every step of an epoch with its metrics read once at the end,
 * the median of the epochs after the first (warm-up); the test evaluation after the last epoch is timed apart.
 * `BENCH_THREADS` pins both sides' threads, `BENCH_ROUNDS` repeats the compared runs in turn
 * (medians shown). With `--write`, records the table in bench/RESULTS.md.
 *
 * @module
 */

import { loadDataset } from "../core/data/source.ts";
import { defaultTrainConfig } from "../core/train/config.ts";
import { fitConfig } from "../core/train/fit_config.ts";
import { type BackendKind, chooseBackend, type CpuSettings } from "../backends/backend_choice.ts";
import { defaultThreads } from "../cpu/backend.ts";
import { median } from "./median.ts";
import { machineLine, replaceSection } from "./results.ts";

const EPOCHS = Number(Deno.env.get("BENCH_EPOCHS") ?? 5);

const NOTE = `Training seconds per epoch: the shuffle and the ${
  8000 / 64
} steps of an epoch, the metrics read once at its end, median of the epochs after the first (warm-up), on both sides; the test evaluation (2,000 digits) after the last epoch is timed apart. PyTorch runs on as many threads as gradmesh (its BLAS pinned to as many) and on 1 thread; times are relative to the faster of the two, since on a loaded machine its 2 OpenMP threads can run several times slower than 1. With BENCH_ROUNDS=R the compared runs (both gradmesh CPU rows and PyTorch) take R turns, and each row shows its median over them. Until 2026-12-07 the PyTorch column came from torch_mlp.py, whose epoch time also held a forward pass over the test and training sets and a loss read-back every step, so the ratios then flattered gradmesh.`;

/** One row of the table: a run's mean training seconds per epoch, evaluation and accuracy. */
interface Row {
  label: string;
  epochSeconds: number;
  evalSeconds: number;
  accuracy: number;
}

/**
 * Median of the epochs after the first (compiling kernels, warming the JIT): one epoch slowed
 * by another process on a shared machine moves a mean, not a median.
 */
const medianAfterFirst = (seconds: number[]) => median(seconds.slice(1));

/** One run's rows over the rounds: their median times, or the first note if one failed. */
function overRounds(runs: (Row | string)[]): Row | string {
  const failed = runs.find((r) => typeof r === "string");
  if (failed !== undefined) return failed;
  const rows = runs as Row[];
  return {
    ...rows[0],
    epochSeconds: median(rows.map((r) => r.epochSeconds)),
    evalSeconds: median(rows.map((r) => r.evalSeconds)),
  };
}

/** Env variable `name` as a whole number >= 1 (`fallback` when unset); exit 2 otherwise. */
function countFromEnv(name: string, fallback: number): number {
  const text = Deno.env.get(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name}: expected a whole number >= 1, got "${text}"`);
    Deno.exit(2);
  }
  return value;
}

async function ours(kind: BackendKind, cpu: CpuSettings = {}): Promise<Row> {
  const { backend, reason } = await chooseBackend(kind, cpu);
  const data = await loadDataset("mnist");
  try {
    const result = await fitConfig({ ...defaultTrainConfig, epochs: EPOCHS }, backend, data, {
      checkpointPath: null,
      metricsPath: null,
      evalEvery: EPOCHS,
      logEvery: 1000,
    });
    const last = result.epochs[result.epochs.length - 1];
    return {
      label: `gradmesh ${backend.name} (${reason})`,
      epochSeconds: medianAfterFirst(result.epochs.map((e) => e.trainSeconds!)),
      evalSeconds: last.seconds - last.trainSeconds!,
      accuracy: result.final!.accuracy,
    };
  } finally {
    backend.destroy();
  }
}

/** PyTorch on `threads` threads, its BLAS pinned to as many; a note when it cannot run. */
async function torch(threads: number): Promise<Row | string> {
  const script = new URL("./torch_train.py", import.meta.url).pathname;
  const digits = new URL(import.meta.resolve("mnist/src/digits/0.json")).pathname.replace(
    /\/0\.json$/,
    "",
  );
  const n = String(threads);
  try {
    const out = await new Deno.Command(Deno.env.get("PYTHON") ?? "/usr/bin/python3", {
      args: [script, String(EPOCHS), n],
      env: { MNIST_DIGITS: digits, OPENBLAS_NUM_THREADS: n, OMP_NUM_THREADS: n },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return `PyTorch skipped: ${new TextDecoder().decode(out.stderr).trim().split("\n").pop()}`;
    }
    const epochs = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const last = epochs[epochs.length - 1];
    return {
      label: `PyTorch CPU (torch_train.py, ${threads} thread${threads > 1 ? "s" : ""})`,
      epochSeconds: medianAfterFirst(epochs.map((e) => e.train_s)),
      evalSeconds: last.eval_s,
      accuracy: last.test_acc,
    };
  } catch (e) {
    return `PyTorch skipped: ${(e as Error).message}`;
  }
}

if (import.meta.main) {
  // BENCH_THREADS pins both sides to fewer threads (a loaded machine times 1 thread better);
  // BENCH_ROUNDS repeats the compared runs in turn and takes each one's median.
  const threads = countFromEnv("BENCH_THREADS", defaultThreads());
  const rounds = countFromEnv("BENCH_ROUNDS", 1);
  const load = Deno.loadavg()[0];
  // The fast CPU backend on its WebAssembly kernels alone, then with OpenBLAS where it loads,
  // then PyTorch on as many threads and on one thread.
  const runs: (() => Promise<Row | string>)[] = [
    () => ours("cpu", { sgemm: "wasm", threads }),
    () => ours("cpu", { threads }),
    () => torch(threads),
    ...(threads > 1 ? [() => torch(1)] : []),
  ];
  const results: (Row | string)[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) results[i].push(await run());
  }
  const [wasm, blas, ...peers] = results.map(overRounds);
  const notes = [...new Set(peers.filter((p) => typeof p === "string"))];
  const rows = [wasm, blas, ...peers].filter((r) => typeof r !== "string");
  rows.push(await ours("cpu-ref"));
  try {
    rows.push(await ours("webgpu"));
  } catch (e) {
    notes.push(`WebGPU skipped: ${(e as Error).message}`);
  }
  const samples = 8000;
  // The faster PyTorch run: on a loaded machine its OpenMP threads can slow it several times.
  const timed = peers.flatMap((p) => typeof p === "string" ? [] : [p.epochSeconds]);
  const base = timed.length ? Math.min(...timed) : null;
  const table = [
    `| run | training s/epoch | samples/s | evaluation s | test acc after ${EPOCHS} epochs | ` +
    "time vs PyTorch's faster run |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.label} | ${r.epochSeconds.toFixed(4)} | ${Math.round(samples / r.epochSeconds)} | ` +
      `${r.evalSeconds.toFixed(4)} | ${(r.accuracy * 100).toFixed(2)}% | ${
        base ? (r.epochSeconds / base).toFixed(2) + "×" : "n/a"
      } |`
    ),
    ...notes.map((n) => `\n- ${n}`),
    `\n- 1-minute load average when the run started: ${load.toFixed(2)}`,
  ].join("\n");
  console.log(table);
  if (Deno.args.includes("--write")) {
    const env = ["BENCH_THREADS", "BENCH_ROUNDS"].filter((v) => Deno.env.get(v) !== undefined)
      .map((v) => `${v}=${Deno.env.get(v)} `).join("");
    const head = machineLine(`${env}deno task bench:train --write`);
    await replaceSection(
      "train",
      `## Training: default configuration, epoch time\n\n${head}\n\n${NOTE}\n\n${table}\n`,
    );
  }
}
