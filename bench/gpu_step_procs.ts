/**
 * `deno task bench:gpusteps`: the WebGPU training step of the default MLP at batch 1024 in
 * real processes, each with its own device: one worker alone, and two data-parallel
 * worker processes (512 rows each) summing gradients bucket by bucket over HTTP on
 * loopback, with the ring on the main thread and on an all-reduce thread per process
 * (`ReduceThread`), against the 1-worker step plus one read-back. The configurations take
 * turns, `--rounds` times (default 2), so that a change in the machine's load hits them
 * alike; each figure is the median over the rounds' medians. `--cpu`: the fast CPU backend,
 * one thread per process, instead of WebGPU. With `--write`, records the table in
 * bench/RESULTS.md.
 *
 * A child (`--child <rank> <world> <main|thread>`) prints its ring URL as a JSON line,
 * reads every rank's URL as one JSON line, and prints the median ms of its steps.
 *
 * @module
 */

import { BucketPlan } from "../coordinator/job/bucket_plan.ts";
import { GradientReducer } from "../coordinator/job/gradient_reducer.ts";
import { openRingEndpoint } from "../coordinator/job/ring_endpoint.ts";
import type { Backend } from "../core/backend.ts";
import { chooseBackend } from "../backends/backend_choice.ts";
import { createWebGpuBackend } from "../gpu/backend.ts";
import { finisher, gradientSize, median, rankStep, STEPS, timed, WARM } from "./gpu_step_rank.ts";
import { machineLine, replaceSection } from "./results.ts";

const TOKEN = "gpu-step-procs-bench";

/** Reads `stream` a line at a time; `undefined` at its end. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string | undefined> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    while (!buffered.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffered += value;
    }
    const end = buffered.indexOf("\n");
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    return line;
  };
}
const BUCKET_ELEMS = 16_384;
const CHILD_PERMISSIONS = [
  "--allow-ffi",
  "--allow-run",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys",
  "--allow-net=127.0.0.1",
];

const cpu = Deno.args.includes("--cpu");

/** WebGPU, or with `--cpu` the fast CPU backend on one thread per process. */
async function stepBackend(): Promise<Backend & { destroy?(): void }> {
  return cpu ? (await chooseBackend("cpu", { threads: 1 })).backend : await createWebGpuBackend();
}

/** One rank: serve, learn the peers, train {@link STEPS} timed steps, print their median. */
async function child(rank: number, world: number, threaded: boolean): Promise<void> {
  const backend = await stepBackend();
  const line = lineReader(Deno.stdin.readable);
  if (world === 1) {
    const step = rankStep(backend);
    const readBack = finisher(backend);
    const [stepMs, readMs] = await timed(step, readBack);
    console.log(JSON.stringify({ stepMs, readMs }));
    backend.destroy?.();
    return;
  }
  const endpoint = await openRingEndpoint({
    threaded,
    token: TOKEN,
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    console.log(JSON.stringify({ url: endpoint.url }));
    const peers = JSON.parse((await line())!) as string[];
    const plan = new BucketPlan(gradientSize(backend), world, BUCKET_ELEMS);
    const link = await endpoint.join({ rank, peers }, plan);
    const step = rankStep(
      backend,
      rank,
      world,
      () => new GradientReducer(link, { rank, plan, backend }),
    );
    const [stepMs] = await timed(step);
    console.log(JSON.stringify({ stepMs }));
  } finally {
    await endpoint.close();
    backend.destroy?.();
  }
}

/** Runs `world` children in `mode`; resolves to each child's last JSON line. */
async function run(world: number, mode: "main" | "thread"): Promise<Record<string, number>[]> {
  const children = Array.from({ length: world }, (_, rank) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...CHILD_PERMISSIONS,
        import.meta.filename!,
        "--child",
        `${rank}`,
        `${world}`,
        mode,
        ...(cpu ? ["--cpu"] : []),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn());
  const readers = children.map((c) => lineReader(c.stdout));
  const writers = children.map((c) => c.stdin.getWriter());
  const next = async (i: number) => {
    const value = await readers[i]();
    if (value === undefined) throw new Error(`child ${i} of ${world} (${mode}) ended early`);
    return JSON.parse(value);
  };
  if (world > 1) {
    const urls = await Promise.all(children.map((_, i) => next(i)));
    const peers = JSON.stringify(urls.map((u) => u.url)) + "\n";
    await Promise.all(writers.map((w) => w.write(new TextEncoder().encode(peers))));
  }
  const results = await Promise.all(children.map((_, i) => next(i)));
  await Promise.all(writers.map((w) => w.close()));
  for (const [i, c] of children.entries()) {
    const status = await c.status;
    if (!status.success) throw new Error(`child ${i} of ${world} (${mode}) exited ${status.code}`);
  }
  return results;
}

const at = Deno.args.indexOf("--child");
if (at >= 0) {
  const [rank, world, mode] = Deno.args.slice(at + 1);
  await child(Number(rank), Number(world), mode === "thread");
} else {
  const flag = Deno.args.indexOf("--rounds");
  const rounds = flag >= 0 ? Number(Deno.args[flag + 1]) : 2;
  if (!Number.isInteger(rounds) || rounds < 1) {
    console.error(`--rounds: expected a positive integer, got ${Deno.args[flag + 1]}`);
    Deno.exit(2);
  }
  const one: number[] = [], read: number[] = [], onMain: number[] = [], onThread: number[] = [];
  // A two-rank step ends when both ranks' steps have: the slower rank's median.
  const slowest = (rs: Record<string, number>[]) => Math.max(...rs.map((r) => r.stepMs));
  for (let r = 0; r < rounds; r++) {
    const [alone] = await run(1, "main");
    one.push(alone.stepMs);
    read.push(alone.readMs);
    onMain.push(slowest(await run(2, "main")));
    onThread.push(slowest(await run(2, "thread")));
  }
  const [oneMs, readMs, mainMs, threadMs] = [one, read, onMain, onThread].map(median);
  const name = cpu ? "CPU, 1 thread per process" : "WebGPU";
  const table = [
    `| step (MLP 784-128-10, batch 1024, ${name}), one process per rank | median ms |`,
    "|---|---|",
    `| 1 worker (includes one read-back) | ${oneMs.toFixed(1)} |`,
    `| one read-back of 1 float with nothing to wait for | ${readMs.toFixed(1)} |`,
    `| 2 worker processes, ring on the main thread | ${mainMs.toFixed(1)} |`,
    `| 2 worker processes, ring on an all-reduce thread | ${threadMs.toFixed(1)} |`,
    `| all-reduce thread ÷ main thread | ${(threadMs / mainMs).toFixed(2)} |`,
    `| 2 processes (all-reduce thread) ÷ 1-worker step | ${(threadMs / oneMs).toFixed(2)}${
      cpu ? "" : " (goal ≤ 1.3)"
    } |`,
  ].join("\n");
  console.log(table);
  if (Deno.args.includes("--write")) {
    await replaceSection(
      cpu ? "cpu-step-procs" : "gpu-step-procs",
      `## ${cpu ? "CPU" : "WebGPU"} data-parallel step in two processes (issue 18)\n\n${
        machineLine(`deno task bench:gpusteps ${Deno.args.join(" ")}`)
      }. ${
        cpu
          ? "Each process runs the fast CPU backend on one thread."
          : "Each process opens its own device (llvmpipe here: all share the CPU cores)."
      } Per configuration and round, ${WARM} warm-up steps and the median of ` +
        `${STEPS}; a 2-process step is the slower rank's; the table gives the median over ` +
        `${rounds} rounds in which the configurations took turns. Gradients in buckets of ` +
        `${BUCKET_ELEMS} floats.\n\n${table}\n`,
    );
  }
}
