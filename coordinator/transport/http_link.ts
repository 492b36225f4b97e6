/**
 * The real {@link Link}: chunks travel as HTTP/1.1 PUTs to each peer's ring endpoint
 * (`ringApp` behind `serveRing`), several at once, each on a kept-alive connection of its
 * own, the body written straight from the caller's floats; chunks addressed to this rank
 * are taken from the mailbox that its own endpoint fills, read straight into memory the
 * caller names when it names it first.
 *
 * @module
 */

import { errorMessage, MeshAuthError, MeshError } from "./errors.ts";
import { Http1Pool } from "./http1_pool.ts";
import type { ChunkKey, Link } from "./link.ts";
import type { Mailbox } from "./mailbox.ts";
import { sleep } from "./sleep.ts";
import { ringChunkPath, SENDER_HEADER } from "./ring_app.ts";

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
  /**
   * How long a refused connection, or a peer answering 503 (not ready), is retried while
   * peers are still starting. Default 10 s.
   */
  readonly connectRetryMs?: number;
  /**
   * Requests in flight at once to one peer, each on a kept-alive connection of its own;
   * further sends wait their turn. Default 4.
   */
  readonly maxInFlight?: number;
}

const DEFAULT_CONNECT_RETRY_MS = 10_000;
/**
 * Requests in flight to one peer unless told otherwise (`--streams`): in bench/allreduce.ts
 * on loopback, 4 kept the wire busier than 2 while replies turn around, and 8 bought
 * nothing more. The chunks of one transfer spread over these connections.
 */
export const DEFAULT_STREAMS = 4;

const encoder = new TextEncoder();

/** What a send to one rank needs. */
interface Peer {
  readonly pool: Http1Pool;
  /** The header fields every request to this rank carries but its length, each line ended. */
  readonly fields: string;
}

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
 * const got = new Float32Array(2);
 * const arrived = links[1].recvInto(0, key, got);
 * await links[0].send(1, key, new Float32Array([1, 2]));
 * await arrived; // got is [1, 2]
 * for (const link of links) await link.close();
 * for (const server of servers) await server.shutdown();
 * ```
 */
export class HttpLink implements Link {
  readonly #options: HttpLinkOptions;
  readonly #peers = new Map<number, Peer>();

  constructor(options: HttpLinkOptions) {
    this.#options = options;
  }

  async send(
    to: number,
    key: ChunkKey,
    data: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    const { pool, fields } = this.#peer(to, key);
    const head = encoder.encode(
      `PUT ${ringChunkPath(key)} HTTP/1.1\r\n${fields}content-length: ${data.byteLength}\r\n\r\n`,
    );
    const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    // A peer that does not know its chunks yet (503) is asked again, as a refused
    // connection is while peers start.
    const giveUpAt = Date.now() + (this.#options.connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS);
    let status: number, text: string;
    for (let wait = 5;; wait = Math.min(2 * wait, 200)) {
      try {
        ({ status, body: text } = await pool.request(head, body, signal));
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw this.#error(to, key, errorMessage(error));
      }
      if (status !== 503 || Date.now() >= giveUpAt) break;
      await sleep(wait, signal);
    }
    if (status === 204) return;
    throw this.#error(
      to,
      key,
      `HTTP ${status}: ${text}`,
      status === 401 ? MeshAuthError : MeshError,
    );
  }

  /**
   * Reads the chunk straight from the socket into `target` when this is called before it
   * arrives (see `Mailbox.takeInto`), so a caller that names all its receives up front
   * allocates and copies nothing per chunk.
   */
  recvInto(
    from: number,
    key: ChunkKey,
    target: Float32Array<ArrayBuffer>,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.#options.mailbox.takeInto(from, key, target, signal);
  }

  peerAddress(rank: number): string {
    const base = this.#options.peers[rank];
    return base === undefined ? `rank ${rank}?` : new URL(base).host;
  }

  close(): Promise<void> {
    for (const { pool } of this.#peers.values()) pool.close();
    this.#peers.clear();
    return Promise.resolve();
  }

  /** Rank `to`'s connections and request fields, made on first use. */
  #peer(to: number, key: ChunkKey): Peer {
    const existing = this.#peers.get(to);
    if (existing) return existing;
    const { peers, connectRetryMs, maxInFlight, token, rank } = this.#options;
    if (peers[to] === undefined) {
      throw this.#error(to, key, `no rank ${to} among ${peers.length} peers`);
    }
    const url = new URL(peers[to]);
    if (url.protocol !== "http:") {
      throw this.#error(to, key, `${url.protocol} peers are not supported, only http:`);
    }
    const pool = new Http1Pool({
      // URL keeps an IPv6 literal in brackets; a socket address has none.
      hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
      port: Number(url.port || 80),
      size: maxInFlight ?? DEFAULT_STREAMS,
      connectRetryMs: connectRetryMs ?? DEFAULT_CONNECT_RETRY_MS,
    });
    const fields = `host: ${url.host}\r\nauthorization: Bearer ${token}\r\n` +
      `${SENDER_HEADER}: ${rank}\r\ncontent-type: application/octet-stream\r\n`;
    const peer = { pool, fields };
    this.#peers.set(to, peer);
    return peer;
  }

  #error(to: number, key: ChunkKey, message: string, kind = MeshError): MeshError {
    const where = `bucket ${key.bucket} chunk ${key.chunk}`;
    return new kind(to, this.peerAddress(to), key.step, `${where}: ${message}`);
  }
}
