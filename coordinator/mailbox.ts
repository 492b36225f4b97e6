/**
 * Where chunks addressed to one rank wait until the algorithm asks for them: a transport
 * delivers whenever bytes arrive, the algorithm takes in its own order.
 *
 * @module
 */

import type { ChunkKey } from "./link.ts";

// The step leads, so that the chunks of one step share a prefix (see `discard`).
const slot = (from: number, key: ChunkKey): string =>
  `${key.step}/${key.bucket}/${key.chunk}/${from}`;

/**
 * Chunks delivered to one rank, keyed by sender and {@link ChunkKey}.
 *
 * @example
 * ```ts
 * import { Mailbox } from "./mailbox.ts";
 * const box = new Mailbox();
 * const key = { step: 0, bucket: 0, chunk: 0 };
 * box.deliver(1, key, new Float32Array([3]));
 * const data = await box.take(1, key); // Float32Array [3]
 * ```
 */
export class Mailbox {
  readonly #arrived = new Map<string, Float32Array>();
  readonly #waiting = new Map<string, (data: Float32Array) => void>();

  /** Chunks delivered and not yet taken. */
  get pending(): number {
    return this.#arrived.size;
  }

  /**
   * Hands `data` to whoever takes `(from, key)`, now or later. Returns `false`, and keeps
   * nothing, when that chunk was already delivered: a sender must not overwrite one.
   */
  deliver(from: number, key: ChunkKey, data: Float32Array): boolean {
    const id = slot(from, key);
    const resolve = this.#waiting.get(id);
    if (resolve) {
      this.#waiting.delete(id);
      resolve(data);
      return true;
    }
    if (this.#arrived.has(id)) return false;
    this.#arrived.set(id, data);
    return true;
  }

  /**
   * Drops the chunks of `step` that were delivered and not taken, when that step was
   * abandoned, and returns how many. Waits for them are left to their own signals; chunks
   * that arrive later are kept as usual.
   */
  discard(step: number): number {
    const prefix = `${step}/`;
    let dropped = 0;
    for (const id of this.#arrived.keys()) {
      if (id.startsWith(prefix)) {
        this.#arrived.delete(id);
        dropped++;
      }
    }
    return dropped;
  }

  /** Resolves with the chunk `from` delivered under `key`; rejects with the reason of `signal`. */
  take(from: number, key: ChunkKey, signal?: AbortSignal): Promise<Float32Array> {
    const id = slot(from, key);
    const data = this.#arrived.get(id);
    if (data) {
      this.#arrived.delete(id);
      return Promise.resolve(data);
    }
    if (this.#waiting.has(id)) {
      return Promise.reject(
        new Error(
          `step ${key.step} bucket ${key.bucket} chunk ${key.chunk} from rank ${from} ` +
            "is already being waited for",
        ),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.delete(id);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.set(id, (d) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(d);
      });
    });
  }
}
