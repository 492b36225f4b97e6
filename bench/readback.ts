/**
 * `deno task bench:readback`: what reading a buffer back costs in this runtime, beside
 * the backend's `read`: a plain `mapAsync` of a buffer whose copy was just submitted, four
 * maps issued together (do they share one wait?), and a map issued behind a long
 * dispatch (how long the `mapAsync` call itself holds the JavaScript thread, and how
 * long after the GPU finished the promise resolves). Sizes 4 KiB, 256 KiB and 4 MiB;
 * medians of a few repetitions. With `--dawn`, the same on Dawn through npm
 * `webgpu@0.6.2` when it finds an adapter. With `--hardware-only` it refuses a software
 * adapter (so `bench:gpu` never records llvmpipe as a GPU). With `--write`, records the result in
 * bench/RESULTS.md (section `BENCH_SECTION`, default `readback`). docs/webgpu.md
 * explains the numbers.
 *
 * @module
 */

import { createWebGpuBackend } from "../gpu/backend.ts";
import { acquireGpu } from "../gpu/device.ts";
import { GpuClock } from "../gpu/gpu_clock.ts";
import { machineLine, refuseSoftware, replaceSection } from "./results.ts";

const SIZES = [4 << 10, 256 << 10, 4 << 20];
const REPS = 9;
/** GPU time the long dispatch aims at. */
const BUSY_MS = 60;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One device under test and what it can do. */
interface Subject {
  name: string;
  device: GPUDevice;
  /** The backend's `read` of `bytes`, when this subject is the backend's own runtime. */
  backendRead?: (bytes: number) => Promise<number>;
}

/** One row of results, milliseconds. */
interface Row {
  bytes: number;
  backendRead?: number;
  map: number;
  fourMaps: number;
  busyCall: number;
  busyStall: number;
  busyAfterWork: number;
}

function buffers(device: GPUDevice, bytes: number, staging: number) {
  const src = device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(src, 0, new Uint8Array(bytes).fill(7));
  const maps = Array.from(
    { length: staging },
    () =>
      device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      }),
  );
  return { src, maps };
}

/** Copies `src` into every buffer of `maps` in one submit. */
function submitCopies(device: GPUDevice, src: GPUBuffer, maps: GPUBuffer[]): void {
  const encoder = device.createCommandEncoder();
  for (const m of maps) encoder.copyBufferToBuffer(src, 0, m, 0, src.size);
  device.queue.submit([encoder.finish()]);
}

/** Milliseconds from a copy's submit until its map resolves (all of `maps` at once). */
async function mapAfterCopy(device: GPUDevice, src: GPUBuffer, maps: GPUBuffer[]) {
  const t0 = performance.now();
  submitCopies(device, src, maps);
  await Promise.all(maps.map((m) => m.mapAsync(GPUMapMode.READ)));
  const ms = performance.now() - t0;
  for (const m of maps) m.unmap();
  return ms;
}

/**
 * A dispatch that keeps the GPU busy for about `BUSY_MS`, and its GPU time: from
 * timestamp queries around its pass where the device has them, else the wall time to
 * `onSubmittedWorkDone` (which includes that call's own latency, so it overstates).
 */
async function busyWork(
  device: GPUDevice,
): Promise<{ submit: () => void; gpuMs: () => Promise<number> }> {
  const module = device.createShaderModule({
    code: `@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  var x = f32(g.x);
  for (var i = 0u; i < 4096u; i++) { x = fma(x, 0.999, 0.5); }
  out[g.x % 64u] = x;
}`,
  });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const out = device.createBuffer({ size: 256, usage: GPUBufferUsage.STORAGE });
  const group = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }],
  });
  const clock = device.features.has("timestamp-query") ? new GpuClock(device, 1) : null;
  const run = (groups: number, timed = false) => {
    const encoder = device.createCommandEncoder();
    if (timed) clock?.mark(encoder);
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(groups);
    pass.end();
    if (timed) clock?.mark(encoder);
    device.queue.submit([encoder.finish()]);
  };
  const timeOf = async (groups: number) => {
    const t0 = performance.now();
    run(groups, true);
    await device.queue.onSubmittedWorkDone();
    const wall = performance.now() - t0;
    return clock ? (await clock.read())[0] : wall;
  };
  // Grow the dispatch until it takes long enough to see, then scale it to BUSY_MS.
  let groups = 16, ms = await timeOf(groups);
  while (ms < 20 && groups < 1 << 22) ms = await timeOf(groups *= 4);
  groups = Math.max(1, Math.min(65535, Math.round(groups * BUSY_MS / ms)));
  return {
    submit: () => run(groups, true),
    // The GPU time of the last submit; without timestamps, a separate run's estimate.
    gpuMs: async () => clock ? (await clock.read())[0] : await timeOf(groups),
  };
}

/** Runs `wait` while a timer chain ticks; the longest gap between ticks (the thread's stall). */
async function longestStall(wait: () => Promise<void>): Promise<number> {
  let last = performance.now(), longest = 0, ticking = true;
  const tick = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await wait();
  ticking = false;
  await new Promise((resolve) => setTimeout(resolve, 1));
  return Math.max(longest, performance.now() - last);
}

async function measure(subject: Subject): Promise<Row[]> {
  const { device } = subject;
  const busy = await busyWork(device);
  const rows: Row[] = [];
  for (const bytes of SIZES) {
    const { src, maps } = buffers(device, bytes, 4);
    await mapAfterCopy(device, src, [maps[0]]);
    const single: number[] = [], four: number[] = [];
    const call: number[] = [], stalls: number[] = [], after: number[] = [];
    for (let r = 0; r < REPS; r++) {
      single.push(await mapAfterCopy(device, src, [maps[0]]));
      four.push(await mapAfterCopy(device, src, maps));
    }
    for (let r = 0; r < 3; r++) {
      let callMs = 0;
      const t0 = performance.now();
      const stall = await longestStall(async () => {
        busy.submit();
        submitCopies(device, src, [maps[0]]);
        const c0 = performance.now();
        const mapped = maps[0].mapAsync(GPUMapMode.READ);
        callMs = performance.now() - c0;
        await mapped;
      });
      const total = performance.now() - t0;
      after.push(total - await busy.gpuMs());
      call.push(callMs);
      stalls.push(stall);
      maps[0].unmap();
    }
    rows.push({
      bytes,
      backendRead: subject.backendRead ? await subject.backendRead(bytes) : undefined,
      map: median(single),
      fourMaps: median(four),
      busyCall: median(call),
      busyStall: median(stalls),
      busyAfterWork: median(after),
    });
    src.destroy();
    for (const m of maps) m.destroy();
  }
  return rows;
}

function table(subject: Subject, rows: Row[]): string {
  const size = (b: number) => (b >= 1 << 20 ? `${b >> 20} MiB` : `${b >> 10} KiB`);
  const f = (v: number | undefined) => (v === undefined ? "–" : v.toFixed(2));
  return [
    `### ${subject.name}`,
    "",
    "Milliseconds, medians; the busy dispatch takes about " + `${BUSY_MS} ms of GPU time.`,
    "",
    "| size | backend read | mapAsync after a copy | 4 maps at once (all) | " +
    "behind a busy GPU: the mapAsync call | longest event-loop stall | resolved after the GPU " +
    "finished |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${size(r.bytes)} | ${f(r.backendRead)} | ${f(r.map)} | ${f(r.fourMaps)} | ` +
      `${f(r.busyCall)} | ${f(r.busyStall)} | ${f(r.busyAfterWork)} |`
    ),
  ].join("\n");
}

/** Dawn through npm `webgpu@0.6.2`, or why it is not there. */
async function dawnSubject(): Promise<Subject | string> {
  try {
    const specifier = "npm:webgpu@0.6.2";
    const dawn = await import(specifier) as {
      create(flags: string[]): GPU;
      globals: Record<string, unknown>;
    };
    Object.assign(globalThis, dawn.globals);
    const adapter = await dawn.create([]).requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return "Dawn (npm webgpu@0.6.2) loaded but found no adapter";
    const device = await adapter.requestDevice();
    const info = adapter.info;
    return { name: `Dawn ${info.vendor} ${info.description}`.trim(), device };
  } catch (e) {
    return `Dawn (npm webgpu@0.6.2) did not load: ${(e as Error).message.split("\n")[0]}`;
  }
}

if (import.meta.main) {
  const write = Deno.args.includes("--write");
  const load = Deno.loadavg()[0];
  const gpu = await acquireGpu();
  refuseSoftware(gpu);
  const backend = createWebGpuBackend(gpu);
  const backendRead = async (bytes: number) => {
    const s = backend.upload(new Float32Array(bytes / 4), true);
    await backend.read(s);
    const times: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      await backend.read(s);
      times.push(performance.now() - t0);
    }
    return median(times);
  };
  const deno = {
    name: `Deno ${Deno.version.deno}: ${gpu.description}`,
    device: gpu.device,
    backendRead,
  };
  const sections = [table(deno, await measure(deno))];
  const notes = [`- 1-minute load average when the run started: ${load.toFixed(2)}`];
  if (Deno.args.includes("--dawn")) {
    const dawn = await dawnSubject();
    if (typeof dawn === "string") notes.push(`- ${dawn}`);
    else sections.push(table(dawn, await measure(dawn)));
  }
  const text = `${sections.join("\n\n")}\n\n${notes.join("\n")}`;
  console.log(text);
  if (write) {
    const section = Deno.env.get("BENCH_SECTION") ?? "readback";
    const head = machineLine(`deno task bench:readback -- ${Deno.args.join(" ")}`);
    await replaceSection(section, `## Read-back cost (${section})\n\n${head}\n\n${text}\n`);
  }
}
