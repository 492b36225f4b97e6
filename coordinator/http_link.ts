/**
 * The real {@link Link}: chunks travel as HTTP PUTs to each peer's ring endpoint
 * (`ringApp`), over kept-alive connections, many at once; chunks addressed to this rank
 * are taken from the mailbox that its own endpoint fills.
 *
 * @module
 */

import { MeshAuthError, MeshError } from "./errors.ts";
import type { ChunkKey, Link } from "./link.ts";
import type { Mailbox } from "./mailbox.ts";
import { ringChunkPath, SENDER_HEADER } from "./ring_app.ts";
import { sleep } from "./sleep.ts";

/** Options of {@link HttpLink}. */
export interface HttpLinkOptions {
  /** This rank. */
  readonly rank: number;
  /** Base URL of every rank's ring endpoint, by rank, e.g. `http://127.0.0.1:41234`. */
  readonly peers: readonly string[];
  /** The job token. */
  readonly token: string;
  /** The mailbox of this rank's own endpoint (`RingServer.mailbox`). */
  readonly mailbox: Mailbox;
  /** How long a refused connection is retried, while peers are still starting. Default 10 s. */
  readonly connectRetryMs?: number;
  /** Requests in flight at once; further sends wait their turn. Default 4. */
  readonly maxInFlight?: number;
}

const DEFAULT_CONNECT_RETRY_MS = 10_000;
// Each request in flight holds a connection: a bound keeps large buckets from opening
// thousands. Beyond a few, more concurrency bought nothing on loopback.
const DEFAULT_MAX_IN_FLIGHT = 4;
const FIRST_RETRY_MS = 10;
const LONGEST_RETRY_MS = 500;

// fetch wraps the socket error in a TypeError whose cause carries the OS message.
const reason = (error: unknown): string =>
  error instanceof Error ? String(error.cause ?? error.message) : String(error);

/**
 * One rank's HTTP connection to the mesh.
 *
 * @example Two ranks in one process
 * ```ts
 * import { HttpLink } from "./http_link.ts";
 * import { serveRing } from "./ring_server.ts";
 * const token = "t";
 * const servers = [0, 1].map(() => serveRing({ token, chunkLengthFor: () => 2 }));
 * const peers = servers.map((s) => s.url);
 * const links = servers.map((s, rank) => new HttpLink({ rank, peers, token, mailbox: s.mailbox }));
 * const key = { step: 0, bucket: 0, chunk: 0 };
 * await links[0].send(1, key, new Float32Array([1, 2]));
 * await links[1].recv(0, key); // Float32Array [1, 2]
 * for (const link of links) await link.close();
 * for (const server of servers) await server.shutdown();
 * ```
 */
export class HttpLink implements Link {
  readonly #peers: readonly string[];
  readonly #mailbox: Mailbox;
  readonly #connectRetryMs: number;
  readonly #headers: Headers;
  readonly #maxInFlight: number;
  readonly #client = Deno.createHttpClient({ http2: false });
  #inFlight = 0;
  readonly #queue: (() => void)[] = [];

  constructor(options: HttpLinkOptions) {
    this.#peers = options.peers;
    this.#mailbox = options.mailbox;
    this.#connectRetryMs = options.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS;
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    this.#headers = new Headers({
      authorization: `Bearer ${options.token}`,
      "content-type": "application/octet-stream",
      [SENDER_HEADER]: String(options.rank),
    });
  }

  async send(
    to: number,
    key: ChunkKey,
    data: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    const base = this.#peers[to];
    if (base === undefined) {
      throw this.#error(to, key, `no rank ${to} among ${this.#peers.length} peers`);
    }
    // A view of the caller's floats: the one copy left is the one fetch makes itself.
    const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    await this.#acquire(signal);
    try {
      await this.#put(to, key, base + ringChunkPath(key), body, signal);
    } finally {
      this.#release();
    }
  }

  async #put(
    to: number,
    key: ChunkKey,
    url: string,
    body: Uint8Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    const giveUpAt = Date.now() + this.#connectRetryMs;
    for (let wait = FIRST_RETRY_MS;; wait = Math.min(2 * wait, LONGEST_RETRY_MS)) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "PUT",
          headers: this.#headers,
          body,
          signal,
          client: this.#client,
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const why = reason(error);
        if (!/connection refused|actively refused/i.test(why) || Date.now() >= giveUpAt) {
          throw this.#error(to, key, why);
        }
        await sleep(wait, signal);
        continue;
      }
      if (response.status === 204) return;
      const why = `HTTP ${response.status}: ${await response.text()}`;
      throw this.#error(to, key, why, response.status === 401 ? MeshAuthError : MeshError);
    }
  }

  #error(to: number, key: ChunkKey, message: string, kind = MeshError): MeshError {
    const where = `bucket ${key.bucket} chunk ${key.chunk}`;
    return new kind(to, this.peerAddress(to), key.step, `${where}: ${message}`);
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#inFlight < this.#maxInFlight) {
      this.#inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      // A released slot passes straight to the next waiter, so #inFlight stays as it is.
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.#queue.splice(this.#queue.indexOf(grant), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(grant);
    });
  }

  #release(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#inFlight--;
  }

  recv(from: number, key: ChunkKey, signal?: AbortSignal): Promise<Float32Array> {
    return this.#mailbox.take(from, key, signal);
  }

  peerAddress(rank: number): string {
    const base = this.#peers[rank];
    return base === undefined ? `rank ${rank}?` : new URL(base).host;
  }

  close(): Promise<void> {
    this.#client.close();
    return Promise.resolve();
  }
}
