/**
 * The network side of a rank's gradient all-reduce on a thread of its own
 * (`reduce_thread_entry.ts`): the thread serves the rank's ring endpoint, holds its
 * `Link` (native or HTTP) and runs every all-reduce, while the main thread only hands it buckets in
 * shared memory. Deno's `mapAsync` blocks the main thread until the GPU has finished
 * everything submitted (docs/webgpu.md), and a ring on that thread's event loop stops with
 * it, the peers' chunks unanswered; on a thread of its own the ring keeps moving.
 *
 * The thread runs the same `AllReducePlan` over the same link as the main-thread path,
 * so the sums are the same bits. Errors come back as the same classes: a `MeshError` still
 * names the peer rank.
 *
 * @module
 */

import { GradmeshError } from "../../core/errors.ts";
import { errorMessage, MeshAuthError, MeshError, MeshTimeoutError } from "../transport/errors.ts";
import type { BucketPlan, CollectiveSettings } from "./bucket_plan.ts";
import type { AllReduceRunner } from "./gradient_reducer.ts";
import { ListenError } from "./job_errors.ts";

/** Where the thread's ring endpoint listens. */
export interface ReduceThreadServe {
  readonly token: string;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** `0` picks a free port. Default `0`. */
  readonly port?: number;
  /** The link to serve, resolved on the main thread (`--link`). Default `http`. */
  readonly link?: "native" | "http";
}

/** What the thread needs to join the mesh (see `HttpLinkOptions`). */
export interface ReduceThreadConnect {
  readonly rank: number;
  /** Every rank's ring endpoint, by rank. */
  readonly peers: readonly string[];
  readonly connectRetryMs?: number;
  readonly maxInFlight?: number;
}

/** A {@link BucketPlan} as plain data, rebuilt on the thread. */
export type PlanArgs = [number, number, number, number, readonly number[], CollectiveSettings];

/** The constructor arguments that rebuild `plan`. */
export const planArgs = (plan: BucketPlan): PlanArgs => [
  plan.length,
  plan.world,
  plan.bucketElems,
  plan.chunkElems,
  plan.syncBatchNorm,
  plan.settings,
];

/** An error as plain data (errors do not cross threads whole). */
export type WireError =
  | { kind: "mesh" | "auth"; rank: number; host: string; step: number; detail: string }
  | {
    kind: "timeout";
    rank: number;
    host: string;
    step: number;
    bucket: number;
    timeoutMs: number;
    detail: string;
  }
  | { kind: "listen"; host: string; port: number; detail: string }
  | { kind: "range" | "other"; detail: string };

// MeshError's message is its prefix and the detail; the detail is what its constructor takes.
const meshDetail = (e: MeshError): string =>
  e.message.slice(`rank ${e.rank} (${e.host}), step ${e.step}: `.length);

/** `error` as plain data, for the other side of the thread. */
export function errorToWire(error: unknown): WireError {
  if (error instanceof MeshTimeoutError) {
    const { rank, host, step, bucket, timeoutMs } = error;
    const prefix = `bucket ${bucket}: `;
    const suffix = ` for ${timeoutMs} ms`;
    const detail = meshDetail(error).slice(prefix.length, -suffix.length);
    return { kind: "timeout", rank, host, step, bucket, timeoutMs, detail };
  }
  if (error instanceof MeshError) {
    const kind = error instanceof MeshAuthError ? "auth" : "mesh";
    return {
      kind,
      rank: error.rank,
      host: error.host,
      step: error.step,
      detail: meshDetail(error),
    };
  }
  if (error instanceof ListenError) {
    const detail = errorMessage(error.cause);
    return { kind: "listen", host: error.host, port: error.port, detail };
  }
  const detail = errorMessage(error);
  return { kind: error instanceof RangeError ? "range" : "other", detail };
}

/** The error that `wire` describes, of the class it was thrown as. */
export function errorFromWire(wire: WireError): Error {
  switch (wire.kind) {
    case "timeout":
      return new MeshTimeoutError(
        wire.rank,
        wire.host,
        wire.step,
        wire.bucket,
        wire.timeoutMs,
        wire.detail,
      );
    case "auth":
      return new MeshAuthError(wire.rank, wire.host, wire.step, wire.detail);
    case "mesh":
      return new MeshError(wire.rank, wire.host, wire.step, wire.detail);
    case "listen":
      return new ListenError(wire.host, wire.port, new Error(wire.detail));
    case "range":
      return new RangeError(wire.detail);
    default:
      return new GradmeshError(wire.detail);
  }
}

/**
 * One rank's all-reduce thread: {@link serve}, {@link connect}, then
 * {@link allReduce} as often as needed (or hand it to a `GradientReducer`), and
 * {@link close}, which ends the thread.
 *
 * @example Two ranks, each with its own thread
 * ```ts ignore
 * import { BucketPlan } from "./bucket_plan.ts";
 * import { ReduceThread } from "./reduce_thread.ts";
 * const plan = new BucketPlan(4, 2);
 * const threads = [new ReduceThread(), new ReduceThread()];
 * const peers = await Promise.all(threads.map((t) => t.serve({ token: "t" })));
 * await Promise.all(threads.map((t, rank) => t.connect({ rank, peers }, plan)));
 * const data = [new Float32Array([1, 2, 3, 4]), new Float32Array([4, 3, 2, 1])];
 * await Promise.all(threads.map((t, r) => t.allReduce(0, data[r], 1))); // both [5, 5, 5, 5]
 * await Promise.all(threads.map((t) => t.close()));
 * ```
 */
export class ReduceThread implements AllReduceRunner {
  readonly #thread = new Worker(new URL("./reduce_thread_entry.ts", import.meta.url), {
    type: "module",
  });
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  /** Each bucket's shared memory, reused across steps. */
  readonly #shared = new Map<number, Float32Array<SharedArrayBuffer>>();
  #nextId = 0;
  #peers: readonly string[] = [];
  #closed = false;

  constructor() {
    this.#thread.onmessage = ({ data }) => {
      const pending = this.#pending.get(data.id);
      if (!pending) return;
      this.#pending.delete(data.id);
      if (data.error) pending.reject(errorFromWire(data.error));
      else pending.resolve(data.value);
    };
    this.#thread.onerror = (e) => {
      e.preventDefault();
      const error = new GradmeshError(`all-reduce thread: ${e.message}`);
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
  }

  #ask<T>(message: Record<string, unknown>): Promise<T> {
    if (this.#closed) return Promise.reject(new GradmeshError("the all-reduce thread is closed"));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#thread.postMessage({ id, ...message });
    });
  }

  /**
   * Starts the ring endpoint; resolves to its base URL. Until {@link connect}, chunks are
   * answered "not ready" and their senders retry.
   */
  serve(serve: ReduceThreadServe): Promise<string> {
    return this.#ask<string>({ serve });
  }

  /** Joins the mesh as `connect.rank` and lays out the job's collectives as `plan` does. */
  async connect(connect: ReduceThreadConnect, plan: BucketPlan): Promise<void> {
    this.#peers = connect.peers;
    await this.#ask({ connect, plan: planArgs(plan) });
  }

  /** Where rank `rank` lives, for error messages. */
  peerAddress(rank: number): string {
    return this.#peers[rank] ?? `rank ${rank}`;
  }

  /** Sums `data` in place across ranks as bucket `bucket` of step `step`, on the thread. */
  async allReduce(
    bucket: number,
    data: Float32Array,
    step: number,
    timeoutMs?: number,
  ): Promise<void> {
    let shared = this.#shared.get(bucket);
    if (shared?.length !== data.length) {
      shared = new Float32Array(new SharedArrayBuffer(data.byteLength));
      this.#shared.set(bucket, shared);
    }
    shared.set(data);
    await this.#ask({ run: { bucket, step, timeoutMs, shared } });
    data.set(shared);
  }

  /** Closes the link and the endpoint, then ends the thread; failures pending reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#ask({ close: true });
    } catch {
      // A thread that cannot close cleanly is ended all the same.
    } finally {
      this.#closed = true;
      this.#thread.terminate();
      const error = new GradmeshError("the all-reduce thread was closed");
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    }
  }
}
