/**
 * Where chunks addressed to one rank wait until the algorithm asks for them: a transport
 * delivers whenever bytes arrive, the algorithm takes in its own order.
 *
 * A chunk is taken either as an array of its own ({@link Mailbox.take}) or into memory
 * the taker names in advance ({@link Mailbox.takeInto}); a transport that
 * {@link Mailbox.claim}s that memory reads the chunk straight into it, which spares an
 * allocation per chunk and, for a chunk that is only copied, the copy.
 *
 * @module
 */

import type { ChunkKey } from "./link.ts";

/**
 * Steps past a rank's own that its chunks may come early for. A peer is never more than
 * one collective ahead (it cannot finish one without this rank's chunks), and a rank's
 * collectives are keyed by steps that rise by one at a time, so chunks for
 * `step … step + 1` are all a healthy job sends; a rank that jumps ahead (the first step
 * after `--resume` is keyed 1) waits on a 503 for a moment.
 */
export const STEP_WINDOW = 1;

/** When a chunk arrives for: a step being taken or in the window, one left behind, or one too far ahead. */
export type ChunkTiming = "now" | "late" | "early";

// The step leads, so that the chunks of one step share a prefix (see `discard`).
const slot = (from: number, key: ChunkKey): string =>
  `${key.step}/${key.bucket}/${key.chunk}/${from}`;

const describe = (from: number, key: ChunkKey): string =>
  `step ${key.step} bucket ${key.bucket} chunk ${key.chunk} from rank ${from}`;

const wrongLength = (from: number, key: ChunkKey, actual: number, expected: number) =>
  new RangeError(`${describe(from, key)}: ${actual} floats, expected ${expected}`);

/** A `takeInto` that waits for its chunk. */
interface Target {
  readonly floats: Float32Array<ArrayBuffer>;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  /** Set while a transport reads the chunk into `floats`: stops that read. */
  cancel?: () => void;
}

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
  readonly #targets = new Map<string, Target>();
  #step = 0;

  /** The step of the last chunk asked for: this rank's place in the job. */
  get step(): number {
    return this.#step;
  }

  /**
   * Whether the chunk `from` sends under `key` is welcome now: a taker waits for it, or
   * its step is between {@link Mailbox.step} and {@link STEP_WINDOW} after; or "late" (a
   * step left behind, which nobody will take) or "early" (to be sent again later).
   * Transports ask before reading a body, so chunks kept untaken are bounded by the window.
   */
  timing(from: number, key: ChunkKey): ChunkTiming {
    const id = slot(from, key);
    if (this.#waiting.has(id) || this.#targets.has(id)) return "now";
    if (key.step < this.#step) return "late";
    return key.step > this.#step + STEP_WINDOW ? "early" : "now";
  }

  /** Chunks delivered and not yet taken. */
  get pending(): number {
    return this.#arrived.size;
  }

  /**
   * Hands `data` to whoever takes `(from, key)`, now or later. Returns `false`, and keeps
   * nothing, when that chunk was already delivered or is being read into place: a sender
   * must not overwrite one. A `takeInto` waiting with memory of another length rejects.
   */
  deliver(from: number, key: ChunkKey, data: Float32Array): boolean {
    const id = slot(from, key);
    const target = this.#targets.get(id);
    if (target) {
      if (target.cancel && data !== target.floats) return false;
      this.#targets.delete(id);
      if (data.length !== target.floats.length) {
        target.reject(wrongLength(from, key, data.length, target.floats.length));
      } else {
        if (data !== target.floats) target.floats.set(data);
        target.resolve();
      }
      return true;
    }
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
    this.#step = key.step;
    const id = slot(from, key);
    const data = this.#arrived.get(id);
    if (data) {
      this.#arrived.delete(id);
      return Promise.resolve(data);
    }
    const refused = this.#refuseWait(id, from, key, signal);
    if (refused) return refused;
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

  /**
   * Resolves once the chunk `from` sends under `key` is in `target`: read straight into it
   * by a transport that {@link Mailbox.claim}s it, or copied when the chunk came first.
   * `target` must not be read or changed until then. Rejects with a `RangeError` when the
   * chunk has another length, or with the reason of `signal`; a read into `target` still
   * under way then is stopped.
   *
   * @example
   * ```ts
   * import { Mailbox } from "./mailbox.ts";
   * const box = new Mailbox();
   * const key = { step: 0, bucket: 0, chunk: 0 };
   * const target = new Float32Array(4);
   * const taken = box.takeInto(1, key, target.subarray(1, 3));
   * box.deliver(1, key, Float32Array.of(7, 8));
   * await taken; // target is [0, 7, 8, 0]
   * ```
   */
  takeInto(
    from: number,
    key: ChunkKey,
    target: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    this.#step = key.step;
    const id = slot(from, key);
    const data = this.#arrived.get(id);
    if (data) {
      this.#arrived.delete(id);
      if (data.length !== target.length) {
        return Promise.reject(wrongLength(from, key, data.length, target.length));
      }
      target.set(data);
      return Promise.resolve();
    }
    const refused = this.#refuseWait(id, from, key, signal);
    if (refused) return refused;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#targets.get(id)?.cancel?.();
        this.#targets.delete(id);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const settle = <T>(then: (value: T) => void) => (value: T) => {
        signal?.removeEventListener("abort", onAbort);
        then(value);
      };
      this.#targets.set(id, { floats: target, resolve: settle(resolve), reject: settle(reject) });
    });
  }

  /**
   * For a transport about to read the `length` floats that `from` sends under `key`: the
   * memory a {@link Mailbox.takeInto} waits with, reserved for this read, or `undefined`
   * (read into an array of its own and deliver that). Once every byte is in, the reader
   * calls `deliver` with the claimed memory; when the read fails, {@link Mailbox.unclaim}.
   * `cancel` must stop the read at once: it is called when the taker gives up.
   */
  claim(
    from: number,
    key: ChunkKey,
    length: number,
    cancel: () => void,
  ): Float32Array<ArrayBuffer> | undefined {
    const target = this.#targets.get(slot(from, key));
    if (!target || target.cancel || target.floats.length !== length) return undefined;
    target.cancel = cancel;
    return target.floats;
  }

  /** Ends a claim whose read failed; the taker waits on for another copy. */
  unclaim(from: number, key: ChunkKey): void {
    const target = this.#targets.get(slot(from, key));
    if (target) target.cancel = undefined;
  }

  #refuseWait(
    id: string,
    from: number,
    key: ChunkKey,
    signal?: AbortSignal,
  ): Promise<never> | undefined {
    if (this.#waiting.has(id) || this.#targets.has(id)) {
      return Promise.reject(new Error(`${describe(from, key)} is already being waited for`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return undefined;
  }
}
