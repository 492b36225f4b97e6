/**
 * In-process links: every rank of a mesh in one event loop, for tests of the algorithms
 * that run over a {@link Link}. Sends copy their data, as a wire would, so a sender may
 * reuse its buffer as soon as the send resolves. Faults can be injected per send.
 *
 * @module
 */

import { MeshError } from "./errors.ts";
import type { ChunkKey, Link } from "./link.ts";
import { Mailbox } from "./mailbox.ts";
import { sleep } from "./sleep.ts";

/**
 * What happens to one send: `drop` resolves and delivers nothing; `delay` delivers after
 * `ms`; `fail` rejects with a `MeshError`; `hang` never answers, as a peer that stopped
 * reading, and rejects only when the sender's signal aborts.
 */
export type Fault =
  | { readonly kind: "drop" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "fail" }
  | { readonly kind: "hang" };

/** Options of {@link memoryMesh}. */
export interface MemoryMeshOptions {
  /** Decides the fate of each send; `undefined` delivers it at once. */
  readonly fault?: (from: number, to: number, key: ChunkKey) => Fault | undefined;
}

const untilAborted = (signal?: AbortSignal): Promise<never> =>
  new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

class MemoryLink implements Link {
  constructor(
    readonly rank: number,
    readonly mailboxes: readonly Mailbox[],
    readonly options: MemoryMeshOptions,
  ) {}

  async send(to: number, key: ChunkKey, data: Float32Array<ArrayBuffer>, signal?: AbortSignal) {
    const mailbox = this.mailboxes[to];
    if (!mailbox) throw new MeshError(to, "memory", key.step, `no rank ${to} in this mesh`);
    const fault = this.options.fault?.(this.rank, to, key);
    if (fault?.kind === "drop") return;
    if (fault?.kind === "hang") return untilAborted(signal);
    if (fault?.kind === "fail") {
      throw new MeshError(to, "memory", key.step, `injected failure of chunk ${key.chunk}`);
    }
    const copy = data.slice();
    if (fault?.kind === "delay") await sleep(fault.ms, signal);
    if (!mailbox.deliver(this.rank, key, copy)) {
      throw new MeshError(to, "memory", key.step, `chunk ${key.chunk} delivered twice`);
    }
  }

  recvInto(
    from: number,
    key: ChunkKey,
    target: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.mailboxes[this.rank].takeInto(from, key, target, signal);
  }

  peerAddress(): string {
    return "memory";
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Creates `n` connected in-process links; link `r` is rank `r`.
 *
 * @example A peer that never answers
 * ```ts
 * import { memoryMesh } from "./memory_link.ts";
 * const links = memoryMesh(3, {
 *   fault: (_from, to) => (to === 2 ? { kind: "hang" } : undefined),
 * });
 * ```
 */
export function memoryMesh(n: number, options: MemoryMeshOptions = {}): Link[] {
  const mailboxes = Array.from({ length: n }, () => new Mailbox());
  return mailboxes.map((_, rank) => new MemoryLink(rank, mailboxes, options));
}
