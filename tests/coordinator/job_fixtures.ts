/**
 * Fixtures of the data-parallel job tests: a small digits dataset on disk (what worker
 * processes load), the `cli/main.ts` subcommands they run, and process checks.
 *
 * @module
 */

import assert from "node:assert/strict";
import { loadDataset } from "../../core/data/source.ts";
import { defaultTrainConfig, type TrainConfig } from "../../core/train/config.ts";
import { idxBytes, writeIdxDir } from "../core/data/helpers.ts";

/** `cli/main.ts`, the entry point worker processes run. */
export const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

/**
 * A TCP port for a coordinator a test starts as its own process: free when chosen, and below
 * Linux's ephemeral range (32768 and up), so that none of the thousands of client sockets
 * other tests open at the same time can be holding it when the coordinator binds.
 */
export function coordinatorPort(): number {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
  }
}

/**
 * Writes `train` training and `test` test digits, spread evenly over the bundled ones so
 * that all ten classes appear (the bundle is ordered by digit), as an IDX directory;
 * returns its `--data` spec.
 */
export async function writeDigits(dir: string, train: number, test: number): Promise<string> {
  const mnist = await loadDataset("mnist");
  const size = 28 * 28;
  const pick = (ds: typeof mnist.train, count: number) => {
    const step = Math.floor(ds.count / count);
    const pixels = new Uint8Array(count * size);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const k = i * step;
      for (let p = 0; p < size; p++) {
        pixels[i * size + p] = Math.round(ds.images[k * size + p] * 255);
      }
      labels[i] = ds.labels[k];
    }
    return [idxBytes([count, 28, 28], pixels), idxBytes([count], labels)];
  };
  const [trainImages, trainLabels] = pick(mnist.train, train);
  const [testImages, testLabels] = pick(mnist.test, test);
  await writeIdxDir(dir, { trainImages, trainLabels, testImages, testLabels }, false);
  return `idx:${dir}`;
}

/** `‖actual − expected‖ / ‖expected‖` over two vectors of one length. */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0, norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i] - expected[i]) ** 2;
    norm += expected[i] ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** Runs `cli/main.ts args` in a subprocess and captures its exit code and output. */
export async function runMain(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

let wiring: Promise<boolean> | undefined;

/**
 * Test options that skip, saying why, until `cli/main.ts` registers `worker` and
 * `coordinator` and `train` has `--workers`.
 */
export async function needsClusterCommands(): Promise<{ ignore: boolean }> {
  wiring ??= Promise.all(
    ["worker", "coordinator", "train"].map((name) => runMain([name, "--help"])),
  ).then(([worker, coordinator, train]) => {
    const wired = worker.code === 0 && coordinator.code === 0 &&
      /--workers\b/.test(train.stdout);
    if (!wired) {
      console.log(
        "cli/main.ts lacks the worker/coordinator subcommands or train lacks --workers: " +
          "worker-process tests skipped",
      );
    }
    return wired;
  });
  return { ignore: !(await wiring) };
}

/** Whether process `pid` is gone (neither running nor a zombie). */
export async function processGone(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return false;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
}

/** Polls `condition` every 20 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > giveUpAt) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * `cli/main.ts train args` as a command with piped output (stdout inherited when asked),
 * killed after `timeoutMs`.
 */
export function trainCommand(
  args: string[],
  options: { stdout?: "piped" | "null"; timeoutMs?: number } = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "train", ...args],
    env: { NO_COLOR: "1" },
    stdout: options.stdout ?? "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
  });
}

/** Process ids of the `worker` children of process `pid`, in spawn order (so by rank). */
export async function workerPids(pid: number): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "pid=,args=", "--ppid", String(pid)],
  }).output();
  return new TextDecoder().decode(stdout).split("\n").filter((l) => / worker /.test(l))
    .map((l) => Number(l.trim().split(" ")[0]));
}

/**
 * Whether process `pid` has ended: gone, or a zombie. An orphan's zombie waits for init,
 * which may take its time (seconds here), though it stopped running long before.
 */
export async function processEnded(pid: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => null);
  return status === null || /^State:\s+Z/m.test(status);
}

/**
 * A fresh temp directory (removed at exit) holding 1,000 training and 100 test digits,
 * and a 784-16-10 MLP configuration over them: batch 32, so 32 steps per epoch.
 */
export async function smallDigitsJob(prefix: string, epochs: number) {
  const dir = await Deno.makeTempDir({ prefix });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const spec = await writeDigits(dir, 1000, 100);
  const config: TrainConfig = {
    ...defaultTrainConfig,
    data: spec,
    model: "784-16-10",
    epochs,
    batchSize: 32,
  };
  return { dir, spec, config };
}

/**
 * One epoch of `steps` global batches of `batch` digits (and `test` test digits) written to
 * a fresh temporary directory `dir` as the `--data` spec `spec` and loaded, with the small
 * MLP 784-32-10 configured to train it from `seed`. The caller removes `dir`.
 */
export async function digitsEpoch(steps: number, batch: number, test: number, seed: number) {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-digits-" });
  const spec = await writeDigits(dir, steps * batch, test);
  const data = await loadDataset(spec, { cache: false });
  const config: TrainConfig = {
    ...defaultTrainConfig,
    data: spec,
    model: "784-32-10",
    epochs: 1,
    batchSize: batch,
    seed,
  };
  return { dir, spec, data, config };
}
