/**
 * `launch(main, { workers })`: data parallelism for a user's own script, in the spirit of
 * `torch.multiprocessing.spawn`. Called in the script's top level, it starts `workers`
 * copies of the script as worker processes (and returns once they have all finished);
 * in each of those, the same call runs `main` with the rank's place in the job and a
 * mesh that `fit(model, data, { distributed })` trains over: the ring of
 * `gradmesh train --workers` (over the native or the HTTP link, `link`), gradients summed
 * bucket by bucket while backward runs.
 *
 * The rendezvous is a private directory: each worker serves its ring endpoint on a free
 * loopback port and writes its address there; the launcher, once it has every address,
 * writes the peer list that the workers wait for. The job token reaches the workers in
 * their environment, never on a command line. When a worker fails, the launcher stops
 * the others and rejects with an error naming the rank.
 *
 * @module
 */

import { join } from "node:path";
import { writeTextAtomic } from "../../core/checkpoint/atomic.ts";
import { GradmeshError, UsageError } from "../../core/errors.ts";
import type { FitMesh } from "../../core/train/fit.ts";
import type { MeshProvider } from "../../core/train/fit_model.ts";
import type { Trainer } from "../../core/train/trainer.ts";
import { planForTrainer } from "../job/bucket_plan.ts";
import { TRAIN_PERMISSIONS } from "../job/deno_permissions.ts";
import { meshForFit } from "../job/fit_mesh.ts";
import type { Link } from "../transport/link.ts";
import { LINK_CHOICES, type LinkChoice, resolveLink } from "../transport/link_choice.ts";
import { serveLinkEndpoint } from "../transport/link_endpoint.ts";
import { sleep } from "../transport/sleep.ts";
import { newJobToken } from "../transport/token.ts";

/** A worker's place in a launched job, and the mesh it trains over. */
export interface WorkerContext extends MeshProvider {
  /** This worker's rank, 0 to `world − 1`. */
  readonly rank: number;
  /** Number of workers. */
  readonly world: number;
}

/** Options of {@link launch}. */
export interface LaunchOptions {
  /** Worker processes to start (at most {@link MAX_LAUNCH_WORKERS}). */
  readonly workers: number;
  /** The module every worker runs. Default `Deno.mainModule`, the script that called. */
  readonly script?: string | URL;
  /** Arguments passed to every worker's script. Default none. */
  readonly args?: readonly string[];
  /** Deno permission flags of the workers. Default those of `gradmesh train`. */
  readonly permissions?: readonly string[];
  /** Seconds for every worker to start its endpoint. Default 120. */
  readonly rendezvousTimeoutSeconds?: number;
  /** How gradients travel, as `--link` says (needs FFI in `permissions` for native). Default `auto`. */
  readonly link?: "auto" | "native" | "http";
}

/** The most workers {@link launch} starts on one machine. */
export const MAX_LAUNCH_WORKERS = 64;

/** A worker of a launched job that failed; `rank` names it. */
export class LaunchError extends GradmeshError {
  /** `message` says how the worker of `rank` ended. */
  constructor(readonly rank: number, message: string) {
    super(`launch: rank ${rank} ${message}`);
  }
}

const RANK_VAR = "GRADMESH_LAUNCH_RANK";
const WORLD_VAR = "GRADMESH_LAUNCH_WORLD";
const DIR_VAR = "GRADMESH_LAUNCH_DIR";
const TOKEN_VAR = "GRADMESH_TOKEN";
const LINK_VAR = "GRADMESH_LAUNCH_LINK";
const POLL_MS = 20;

/**
 * In the launching process: starts `options.workers` workers running the script and
 * resolves once every one exited 0 (rejecting with a {@link LaunchError} naming the first
 * that failed, after stopping the rest). In a worker: runs `main` with its
 * {@link WorkerContext} and resolves with what it returns.
 *
 * @example
 * ```ts ignore
 * import { fit, launch, Linear, loadDataset, Rng } from "jsr:@gradmesh/gradmesh";
 * await launch(async ({ rank, world, ...mesh }) => {
 *   const data = await loadDataset("mnist");
 *   const model = new Linear(784, 10, new Rng(0));
 *   await fit(model, data, { epochs: 1, inputShape: [784], distributed: mesh });
 * }, { workers: 2 });
 * ```
 */
export async function launch(
  main: (context: WorkerContext) => unknown,
  options: LaunchOptions,
): Promise<void> {
  const rank = Deno.env.get(RANK_VAR);
  if (rank !== undefined) {
    await runAsWorker(Number(rank), main);
    return;
  }
  const { workers } = options;
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_LAUNCH_WORKERS) {
    throw new UsageError(
      "workers",
      `expected an integer in 1..${MAX_LAUNCH_WORKERS}, got ${workers}`,
    );
  }
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-launch-" });
  try {
    await runWorkers(dir, options);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function runWorkers(dir: string, options: LaunchOptions): Promise<void> {
  const script = String(options.script ?? Deno.mainModule);
  const env = {
    [WORLD_VAR]: String(options.workers),
    [DIR_VAR]: dir,
    [TOKEN_VAR]: newJobToken(),
    [LINK_VAR]: options.link ?? "auto",
  };
  const children = Array.from(
    { length: options.workers },
    (_, r) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", ...(options.permissions ?? TRAIN_PERMISSIONS), script, ...options.args ?? []],
        env: { ...env, [RANK_VAR]: String(r) },
        stdin: "null",
      }).spawn(),
  );
  const failed = Promise.race(children.map(async (child, r) => {
    const status = await child.status;
    if (status.code !== 0) throw new LaunchError(r, `exited with code ${status.code}`);
    return new Promise<never>(() => {}); // a worker that finished fails nothing
  }));
  try {
    const timeoutMs = (options.rendezvousTimeoutSeconds ?? 120) * 1000;
    const peers = await Promise.race([gatherPeers(dir, options.workers, timeoutMs), failed]);
    await writeTextAtomic(join(dir, "peers.json"), JSON.stringify(peers));
    await Promise.race([Promise.all(children.map((c) => c.status)), failed]);
  } catch (e) {
    for (const child of children) {
      try {
        child.kill();
      } catch { /* already exited */ }
    }
    await Promise.all(children.map((c) => c.status));
    throw e;
  }
}

// Every worker's ring address, by rank, once each has written it.
async function gatherPeers(dir: string, world: number, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const peers: (string | undefined)[] = new Array(world).fill(undefined);
  for (;;) {
    for (let r = 0; r < world; r++) {
      peers[r] ??= await Deno.readTextFile(join(dir, `rank-${r}.url`)).catch(() => undefined);
    }
    const missing = peers.findIndex((p) => p === undefined);
    if (missing < 0) return peers as string[];
    if (Date.now() > deadline) {
      throw new LaunchError(missing, `did not start its ring endpoint in ${timeoutMs / 1000} s`);
    }
    await sleep(POLL_MS);
  }
}

async function runAsWorker(rank: number, main: (context: WorkerContext) => unknown) {
  const world = Number(Deno.env.get(WORLD_VAR));
  const dir = Deno.env.get(DIR_VAR)!;
  const token = Deno.env.get(TOKEN_VAR)!;
  const choice = Deno.env.get(LINK_VAR) ?? "auto";
  if (!(LINK_CHOICES as readonly string[]).includes(choice)) {
    throw new UsageError("link", `expected ${LINK_CHOICES.join(" | ")}, got "${choice}"`);
  }
  const endpoint = await serveLinkEndpoint(resolveLink(choice as LinkChoice).kind, {
    token,
    hostname: "127.0.0.1",
    port: 0,
  });
  let link: Link | undefined;
  try {
    await writeTextAtomic(join(dir, `rank-${rank}.url`), endpoint.url);
    const peers = await waitForPeers(join(dir, "peers.json"));
    link = endpoint.connect({ rank, peers }, token);
    const ring = link;
    await main({
      rank,
      world,
      meshFor(trainer: Trainer): FitMesh | undefined {
        if (world === 1) return undefined; // one process: no mesh at all
        const plan = planForTrainer(trainer, world, false);
        endpoint.expect(plan.chunkLengthFor(rank));
        return meshForFit(ring, { rank, plan, backend: trainer.flat.backend });
      },
    });
  } finally {
    await link?.close();
    await endpoint.shutdown();
  }
}

async function waitForPeers(path: string): Promise<string[]> {
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => null);
    if (text !== null) return JSON.parse(text);
    await sleep(POLL_MS);
  }
}
