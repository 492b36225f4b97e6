/**
 * `deno task bench:matmul`: GFLOP/s of every member of the WebGPU matmul family
 * (gpu/kernels/matmul_family.ts) on square products, timed the way the tuner times them
 * (`MatmulTuner.timeAll`: GPU time by timestamp queries where the adapter has them, the
 * least of several rounds that each run every variant once), and which one the tuner
 * would keep. Sizes: `--sizes 256,512,1024` (default; on a hardware adapter
 * 1024,2048,4096). `--hardware-only` refuses a software adapter (`deno task bench:gpu`);
 * `--write` records the table in bench/RESULTS.md (section `BENCH_SECTION`, default
 * `matmul-variants`).
 *
 * @module
 */

import { acquireGpu } from "../gpu/device.ts";
import { MATMUL_FAMILY } from "../gpu/kernels/matmul_family.ts";
import { MatmulTuner } from "../gpu/matmul_tuner.ts";
import { PipelineCache } from "../gpu/pipelines.ts";
import { emptyStats } from "../gpu/stats.ts";
import { machineLine, refuseSoftware, replaceSection } from "./results.ts";

const gpu = await acquireGpu();
refuseSoftware(gpu);
const flag = Deno.args.indexOf("--sizes");
const sizes = flag >= 0
  ? (Deno.args[flag + 1] ?? "").split(",").map(Number)
  : gpu.isSoftware
  ? [256, 512, 1024]
  : [1024, 2048, 4096];
if (!sizes.every((n) => Number.isInteger(n) && n > 0)) {
  console.error(`--sizes: expected comma-separated positive integers, got ${Deno.args[flag + 1]}`);
  Deno.exit(2);
}

const tuner = new MatmulTuner(gpu.device, new PipelineCache(gpu.device, emptyStats()), {
  cachePath: null,
  adapter: gpu.description,
  isSoftware: gpu.isSoftware,
  timestamps: gpu.hasTimestampQuery,
});
const gflops = new Map<string, number[]>(MATMUL_FAMILY.map((v) => [v.name, []]));
const kept: string[] = [];
for (const n of sizes) {
  const times = await tuner.timeAll({ m: n, k: n, n, transA: false, transB: false, batch: 1 });
  let best = "", bestMs = Infinity;
  for (const [name, ms] of times) {
    gflops.get(name)!.push((2 * n ** 3) / (ms * 1e6));
    if (ms < bestMs) [best, bestMs] = [name, ms];
  }
  kept.push(best);
}
gpu.device.destroy();

const clock = gpu.hasTimestampQuery ? "GPU time (timestamp queries)" : "wall clock";
const table = [
  `| GFLOP/s by ${clock} | ${sizes.map((n) => `${n}³`).join(" | ")} |`,
  `|---|${sizes.map(() => "---:").join("|")}|`,
  ...[...gflops].map(([name, g]) =>
    `| ${name} | ${g.map((x) => (Number.isFinite(x) ? x.toFixed(2) : "–")).join(" | ")} |`
  ),
  `| kept by the tuner | ${kept.join(" | ")} |`,
].join("\n");
console.log(`adapter: ${gpu.description}`);
console.log(table);
if (Deno.args.includes("--write")) {
  const section = Deno.env.get("BENCH_SECTION") ?? "matmul-variants";
  await replaceSection(
    section,
    `## WebGPU matmul family, every variant (${section})\n\n${
      machineLine(`deno task bench:matmul ${Deno.args.join(" ")}`)
    }; adapter ${gpu.description}. Square fp32 products op(A)·op(B), neither transposed, ` +
      `each variant timed as the tuner times it (least ms over 5 rounds of repeated ` +
      `dispatches, every variant once per round); \`-v4\`: quad loads and stores.\n\n` +
      `${table}\n`,
  );
}
