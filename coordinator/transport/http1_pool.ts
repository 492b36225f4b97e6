/**
 * Kept-alive connections to one server, opened as requests need them up to a bound and
 * reused after: requests run concurrently, each on a connection of its own.
 *
 * @module
 */

import { Http1Client, type Http1Reply } from "./http1_client.ts";
import { isIoError } from "./http1_connection.ts";
import { DEFAULT_HTTP1_LIMITS } from "./http1_server.ts";
import { sleep } from "./sleep.ts";

/** Options of {@link Http1Pool}. */
export interface Http1PoolOptions {
  readonly hostname: string;
  readonly port: number;
  /** Connections open at once, hence requests in flight. */
  readonly size: number;
  /** How long a refused connection is retried, while the server is still starting. */
  readonly connectRetryMs: number;
  /**
   * A connection idle this long is closed rather than reused. Default: half the server's
   * default idle timeout, so that this side gives a connection up before the server
   * closes it under a request.
   */
  readonly maxIdleMs?: number;
}

/** A kept-alive connection waiting for a request, since `since` (epoch ms). */
interface IdleClient {
  readonly client: Http1Client;
  readonly since: number;
}

const FIRST_RETRY_MS = 10;
const LONGEST_RETRY_MS = 500;

/**
 * A bounded pool of {@link Http1Client}s to one server.
 *
 * @example
 * ```ts
 * import { Http1Pool } from "./http1_pool.ts";
 * import { serveRing } from "./ring_server.ts";
 * const server = serveRing({ token: "t", chunkLengthFor: () => 1 });
 * const port = Number(new URL(server.url).port);
 * const pool = new Http1Pool({ hostname: "127.0.0.1", port, size: 2, connectRetryMs: 0 });
 * const head = new TextEncoder().encode(
 *   "PUT /v1/ring/0/0/0 HTTP/1.1\r\nhost: a\r\nauthorization: Bearer t\r\n" +
 *     "x-gradmesh-rank: 1\r\ncontent-length: 4\r\n\r\n",
 * );
 * const reply = await pool.request(head, new Uint8Array(4));
 * reply.status; // 204
 * pool.close();
 * await server.shutdown();
 * ```
 */
export class Http1Pool {
  readonly #options: Http1PoolOptions;
  readonly #idle: IdleClient[] = [];
  readonly #open = new Set<Http1Client>();
  /** Connections open or being opened: a slot is held from connecting to closing. */
  #slots = 0;
  /** Requests waiting for a slot: each gets a connection to reuse, or `null` to open one. */
  readonly #waiting: ((client: Http1Client | null) => void)[] = [];
  #closed = false;

  constructor(options: Http1PoolOptions) {
    this.#options = options;
  }

  /**
   * Sends one request on a free connection (waiting for one when all are busy) and
   * resolves with the reply. A kept-alive connection that fails without a reply (the
   * server closed it as idle just then) is replaced by a new one, once. Rejects with the
   * connection's error, or with the reason of `signal`.
   */
  async request(head: Uint8Array, body: Uint8Array, signal?: AbortSignal): Promise<Http1Reply> {
    let { client, reused } = await this.#acquire(signal);
    let reusable = false;
    try {
      for (;;) {
        try {
          const reply = await client.request(head, body, signal);
          reusable = reply.keepAlive;
          return reply;
        } catch (error) {
          if (!reused || signal?.aborted || !isIoError(error)) throw error;
        }
        this.#drop(client);
        client = await this.#connect(signal);
        reused = false;
      }
    } finally {
      if (!reusable) this.#drop(client);
      this.#pass(reusable ? client : null);
    }
  }

  /** Closes every connection; requests in progress reject. */
  close(): void {
    this.#closed = true;
    for (const client of this.#open) client.close();
    this.#open.clear();
    this.#idle.length = 0;
  }

  /** A connection to send on, and whether it carried a request before. */
  async #acquire(signal?: AbortSignal): Promise<{ client: Http1Client; reused: boolean }> {
    signal?.throwIfAborted();
    const maxIdleMs = this.#options.maxIdleMs ?? DEFAULT_HTTP1_LIMITS.idleTimeoutMs / 2;
    const idle = this.#idle.pop();
    if (idle) {
      if (Date.now() - idle.since <= maxIdleMs) return { client: idle.client, reused: true };
      // Its slot passes to the connection opened in its place.
      this.#drop(idle.client);
      return { client: await this.#connectInSlot(signal), reused: false };
    }
    let granted: Http1Client | null = null;
    if (this.#slots < this.#options.size) this.#slots++;
    else granted = await this.#wait(signal);
    if (granted) return { client: granted, reused: true };
    return { client: await this.#connectInSlot(signal), reused: false };
  }

  /** Opens a connection for a slot already held; the slot is passed on when that fails. */
  async #connectInSlot(signal?: AbortSignal): Promise<Http1Client> {
    try {
      return await this.#connect(signal);
    } catch (error) {
      this.#pass(null);
      throw error;
    }
  }

  #drop(client: Http1Client): void {
    client.close();
    this.#open.delete(client);
  }

  /** Hands a slot, with `client` to reuse or none, to the next waiter, else gives it up. */
  #pass(client: Http1Client | null): void {
    const next = this.#waiting.shift();
    if (next) next(client);
    else if (client) this.#idle.push({ client, since: Date.now() });
    else this.#slots--;
  }

  #wait(signal?: AbortSignal): Promise<Http1Client | null> {
    return new Promise((resolve, reject) => {
      const grant = (client: Http1Client | null) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(client);
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  async #connect(signal?: AbortSignal): Promise<Http1Client> {
    const { hostname, port, connectRetryMs } = this.#options;
    const giveUpAt = Date.now() + connectRetryMs;
    for (let wait = FIRST_RETRY_MS;; wait = Math.min(2 * wait, LONGEST_RETRY_MS)) {
      let conn: Deno.TcpConn;
      try {
        conn = await Deno.connect({ hostname, port, signal });
      } catch (error) {
        if (!(error instanceof Deno.errors.ConnectionRefused) || Date.now() >= giveUpAt) {
          throw error;
        }
        await sleep(wait, signal);
        continue;
      }
      const client = new Http1Client(conn);
      if (this.#closed) {
        client.close();
        throw new Deno.errors.BadResource("connection pool closed");
      }
      this.#open.add(client);
      return client;
    }
  }
}
