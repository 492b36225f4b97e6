/**
 * Chooses the matmul variant per shape class on the adapter in use. A class seen for the
 * first time runs on the adapter's default variant and is queued; the next `tune()` (the
 * backend awaits it at the end of a `read`, so no recorded product changes under it) times
 * every eligible variant on that first shape, keeps the fastest, and stores the choice in
 * the user's cache (matmul_cache.ts) so later processes start tuned.
 *
 * `GRADMESH_MATMUL=<variant>` pins one variant (no tuning); `GRADMESH_MATMUL=retune`
 * ignores the cache and tunes every class again.
 *
 * @module
 */

import { UsageError } from "../core/errors.ts";
import { KernelTimer } from "./kernel_timer.ts";
import {
  familyDispatch,
  familyMember,
  familyThreads,
  kChunks,
  MATMUL_FAMILY,
  type MatmulFamilyMember,
  type MatmulProblem,
  runsOn,
  shapeClass,
} from "./kernels/matmul_family.ts";
import { loadMatmulChoices, type MatmulChoices, saveMatmulChoices } from "./matmul_cache.ts";
import type { PipelineCache } from "./pipelines.ts";

/** `GRADMESH_MATMUL` (or the backend's `matmulVariant`) names no variant: exit code 2. */
export class MatmulVariantError extends UsageError {
  constructor(source: string, name: string) {
    super(
      source,
      `no matmul variant "${name}"; expected retune or one of ` +
        MATMUL_FAMILY.map((v) => v.name).join(", "),
    );
  }
}

/** How the tuner is set up. */
export interface MatmulTunerOptions {
  /** Pin this variant for every product (tests use it to cover each one). */
  pin?: string;
  /** Where `pin` came from, for the error that names a variant that does not exist. */
  pinSource?: string;
  /** Ignore stored choices and tune each class again. */
  retune?: boolean;
  /** The cache file; null keeps choices in memory only. */
  cachePath: string | null;
  /** Key of the adapter in the cache, e.g. its description. */
  adapter: string;
  /** A CPU implementation, whose default is the register-blocked variant. */
  isSoftware: boolean;
  timestamps: boolean;
}

/** Reads `GRADMESH_MATMUL` into the pin / retune options (no permission: neither). */
export function matmulEnvOptions(): Pick<MatmulTunerOptions, "pin" | "pinSource" | "retune"> {
  let value: string | undefined;
  try {
    value = Deno.env.get("GRADMESH_MATMUL");
  } catch {
    return {};
  }
  if (!value) return {};
  if (value === "retune") return { retune: true };
  return { pin: value, pinSource: "GRADMESH_MATMUL" };
}

// Each candidate runs once to warm up, then ROUNDS times over about this many milliseconds.
const TIMING_BUDGET_MS = 20;
const ROUNDS = 5;
const MAX_REPS = 50;

/** The per-adapter matmul chooser. */
export class MatmulTuner {
  private readonly pinned: MatmulFamilyMember | null;
  private readonly fallback: MatmulFamilyMember;
  private choices: MatmulChoices | null = null;
  private readonly pending = new Map<string, MatmulProblem>();
  private timer: KernelTimer | null = null;
  private tuning: Promise<void> | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly pipelines: PipelineCache,
    private readonly options: MatmulTunerOptions,
  ) {
    const pin = options.pin;
    this.pinned = pin === undefined ? null : familyMember(pin) ?? null;
    if (pin !== undefined && !this.pinned) {
      throw new MatmulVariantError(options.pinSource ?? "matmulVariant", pin);
    }
    if (this.pinned && !runsOn(this.pinned, device)) {
      throw new UsageError(
        options.pinSource ?? "matmulVariant",
        `matmul variant "${pin}" needs the subgroups feature, which this device lacks`,
      );
    }
    this.fallback = familyMember(options.isSoftware ? "direct-4x8-8x8" : "tiled-64x64")!;
  }

  /** The variant for `p`: pinned, chosen earlier, or the default (and `p` queued for tuning). */
  choose(p: MatmulProblem): MatmulFamilyMember {
    if (this.pinned) return this.pinned;
    const cls = shapeClass(p);
    const name = this.loaded().get(cls);
    const chosen = name === undefined ? undefined : familyMember(name);
    // A choice stored by a device opened with other features is tuned again.
    if (chosen && runsOn(chosen, this.device)) return chosen;
    if (!this.pending.has(cls)) this.pending.set(cls, p);
    return this.fallback;
  }

  /** Whether some shape class waits to be tuned. */
  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Times the candidates of every queued class, keeps the fastest, and saves the choices.
   * Concurrent calls (reads of several buckets at once) share one tuning.
   */
  tune(): Promise<void> {
    return this.tuning ??= this.tuneQueued().finally(() => this.tuning = null);
  }

  private async tuneQueued(): Promise<void> {
    if (this.pending.size === 0) return;
    const choices = this.loaded();
    for (const [cls, p] of [...this.pending]) {
      choices.set(cls, (await this.fastest(p)).name);
      this.pending.delete(cls);
    }
    if (this.options.cachePath) {
      await saveMatmulChoices(this.options.cachePath, this.options.adapter, choices);
    }
  }

  /**
   * Times every variant on `p`: ms per product, the least over {@link ROUNDS} rounds that
   * each time every variant once (so a burst of other load hurts all alike, and the
   * least is the time with the least interference); Infinity where a variant cannot run.
   */
  async timeAll(p: MatmulProblem): Promise<Map<string, number>> {
    const limit = this.device.limits.maxComputeInvocationsPerWorkgroup;
    const buffers = this.problemBuffers(p);
    try {
      const runs: { name: string; run: (() => Promise<number>) | null; ms: number }[] = [];
      for (const member of MATMUL_FAMILY) {
        const fits = familyThreads(member) <= limit && runsOn(member, this.device);
        const run = fits ? await this.prepare(member, p, buffers) : null;
        runs.push({ name: member.name, run, ms: Infinity });
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const r of runs) if (r.run) r.ms = Math.min(r.ms, await r.run());
      }
      return new Map(runs.map((r) => [r.name, r.ms]));
    } finally {
      for (const b of buffers) b.destroy();
    }
  }

  private async fastest(p: MatmulProblem): Promise<MatmulFamilyMember> {
    let best = this.fallback, bestMs = Infinity;
    for (const [name, ms] of await this.timeAll(p)) {
      if (ms < bestMs) [best, bestMs] = [familyMember(name)!, ms];
    }
    return best;
  }

  /** A timing of `member` on `p` (after a warm-up that picks its repetitions), or null. */
  private async prepare(
    member: MatmulFamilyMember,
    p: MatmulProblem,
    [a, b, result]: GPUBuffer[],
  ): Promise<(() => Promise<number>) | null> {
    const { kernel, grid } = familyDispatch(member, p);
    this.device.pushErrorScope("validation");
    this.pipelines.get(kernel);
    if (await this.device.popErrorScope()) return null;
    const timer = this.timer ??= new KernelTimer(
      this.device,
      this.pipelines,
      this.options.timestamps,
    );
    const whole = (buffer: GPUBuffer) => ({ buffer, offset: 0, size: buffer.size });
    const dispatch = {
      kernel,
      ranges: [whole(a), whole(b), whole(result)],
      params: [p.m, p.k, p.n],
      grid,
    };
    const first = await timer.time(dispatch, 1);
    const reps = Math.max(1, Math.min(MAX_REPS, Math.round(TIMING_BUDGET_MS / first)));
    return () => timer.time(dispatch, reps);
  }

  private problemBuffers(p: MatmulProblem): GPUBuffer[] {
    const b = p.batch;
    const sizes = [p.m * p.k * b, p.k * p.n * b, p.m * p.n * b * kChunks(p.k)];
    return sizes.map((size) => {
      const buffer = this.device.createBuffer({
        size: Math.max(16, size * 4),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
      });
      // Timing on zeros could flatter a GPU that saves power on them.
      const values = new Float32Array(buffer.size / 4);
      for (let i = 0; i < values.length; i++) values[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
      this.device.queue.writeBuffer(buffer, 0, values);
      return buffer;
    });
  }

  private loaded(): MatmulChoices {
    if (this.choices) return this.choices;
    const { cachePath, retune, adapter } = this.options;
    this.choices = cachePath && !retune ? loadMatmulChoices(cachePath, adapter) : new Map();
    return this.choices;
  }
}
