/**
 * `deno task bench:gpustep`: the WebGPU training step of the default MLP at batch 1024 —
 * one worker against two data-parallel ranks (each on its own device, summing gradients
 * bucket by bucket over an in-process ring) — beside the cost of one read-back, and the
 * same two ranks over real HTTP on loopback with the ring on the main thread and on an
 * all-reduce thread per rank (`ReduceThread`). Every step is timed until its GPU work has
 * finished (a read of one float). Two ranks share this process's main thread, so their step
 * is a ceiling of what two processes take. With `--write`, records the table in
 * bench/RESULTS.md.
 *
 * @module
 */

import { BucketPlan } from "../coordinator/job/bucket_plan.ts";
import { type AllReduceRunner, GradientReducer } from "../coordinator/job/gradient_reducer.ts";
import { openRingEndpoint } from "../coordinator/job/ring_endpoint.ts";
import type { Link } from "../coordinator/transport/link.ts";
import { memoryMesh } from "../coordinator/transport/memory_link.ts";
import { createWebGpuBackend, type WebGpuBackend } from "../gpu/backend.ts";
import { finisher, gradientSize, rankStep, STEPS, timed, WARM } from "./gpu_step_rank.ts";
import { machineLine, replaceSection } from "./results.ts";

const one = await createWebGpuBackend();
const oneStep = rankStep(one);
// Dispatches and submits of one more 1-worker step (its finishing read is one submit).
await oneStep();
const before = { ...one.stats };
await oneStep();
const perStep = {
  dispatches: one.stats.dispatches - before.dispatches,
  submits: one.stats.submits - before.submits,
};
const readBack = finisher(one);
const backends: WebGpuBackend[] = [];
const plan = new BucketPlan(gradientSize(one), 2, 16_384);
const buckets = plan.buckets.length;

/** One data-parallel step of two ranks, each on a device of its own, summing over `links`. */
async function twoRanks(links: (Link | AllReduceRunner)[]): Promise<() => Promise<void>> {
  const pair = [await createWebGpuBackend(), await createWebGpuBackend()];
  backends.push(...pair);
  const steps = pair.map((backend, r) =>
    rankStep(backend, r, 2, () => new GradientReducer(links[r], { rank: r, plan, backend }))
  );
  return async () => void await Promise.all(steps.map((s) => s()));
}

/** The two ranks' ring endpoints on loopback, on the main thread or on threads of their own. */
async function httpMesh(threaded: boolean) {
  const token = "gpu-step-bench";
  const endpoints = await Promise.all(
    [0, 1].map(() => openRingEndpoint({ threaded, token, hostname: "127.0.0.1", port: 0 })),
  );
  const peers = endpoints.map((e) => e.url);
  const links = await Promise.all(endpoints.map((e, rank) => e.join({ rank, peers }, plan)));
  return { links, close: () => Promise.all(endpoints.map((e) => e.close())) };
}

const onMain = await httpMesh(false);
const onThreads = await httpMesh(true);
const twoSteps = await twoRanks(memoryMesh(2));
const twoHttpMain = await twoRanks(onMain.links);
const twoHttpThreads = await twoRanks(onThreads.links);
const [oneMs, twoMs, readMs, mainMs, threadMs] = await timed(
  oneStep,
  twoSteps,
  readBack,
  twoHttpMain,
  twoHttpThreads,
);
await onMain.close();
await onThreads.close();
[one, ...backends].forEach((b) => b.destroy());

// Both steps end with a read of one float, so the 1-worker figure already holds one read-back.
const ratio = twoMs / oneMs;
const table = [
  "| step (MLP 784-128-10, batch 1024, WebGPU), until its work has finished | median ms |",
  "|---|---|",
  `| 1 worker | ${oneMs.toFixed(1)} |`,
  `| 2 ranks, 512 rows each, gradients summed in ${buckets} buckets | ${twoMs.toFixed(1)} |`,
  `| one read-back of 1 float with nothing to wait for (mapAsync) | ${readMs.toFixed(1)} |`,
  `| 2-rank step ÷ (1-worker step, which includes one read-back) | ${
    ratio.toFixed(2)
  } (goal ≤ 1.3) |`,
  `| 2 ranks over HTTP on loopback, ring on the main thread | ${mainMs.toFixed(1)} |`,
  `| 2 ranks over HTTP on loopback, ring on an all-reduce thread per rank | ${
    threadMs.toFixed(1)
  } |`,
  `| HTTP step on threads ÷ on the main thread | ${(threadMs / mainMs).toFixed(2)} |`,
  `| HTTP step on threads ÷ (1-worker step, which includes one read-back) | ${
    (threadMs / oneMs).toFixed(2)
  } (goal ≤ 1.3) |`,
];
console.log(`adapter: ${backends[0].description}`);
const counts = `A 1-worker step records ${perStep.dispatches} dispatches in ` +
  `${perStep.submits} submits (one of them the finishing read).`;
console.log(table.join("\n"));
console.log(counts);
if (Deno.args.includes("--write")) {
  await replaceSection(
    "gpu-step",
    `## WebGPU data-parallel step (issue 18)\n\n${
      machineLine("deno task bench:gpustep --write")
    }; adapter ${backends[0].description}. ${WARM} warm-up rounds, median of ${STEPS}, ` +
      `the five measurements taking turns; both ranks in one process. ${counts}\n\n` +
      `${table.join("\n")}\n`,
  );
}
