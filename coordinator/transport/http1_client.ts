/**
 * The client end of one kept-alive HTTP/1.1 connection: one request at a time, its body
 * written straight from the caller's memory, its reply read as far as the status and a
 * short body.
 *
 * @module
 */

import { Http1Error, parseResponseHead } from "./http1_head.ts";
import { Http1Reader } from "./http1_reader.ts";
import { writeMessage } from "./http1_write.ts";

/** A reply, as much of it as a sender of chunks needs. */
export interface Http1Reply {
  readonly status: number;
  /** The reply's body as text: the reason for a refusal. */
  readonly body: string;
  /** Whether the connection may carry another request. */
  readonly keepAlive: boolean;
}

// Replies worth reading are short refusals; a longer body is not for us.
const MAX_REPLY_BODY_BYTES = 64 * 1024;

const decoder = new TextDecoder();

/**
 * One connection to a server.
 *
 * @example
 * ```ts
 * import { Http1Client } from "./http1_client.ts";
 * import { serveRing } from "./ring_server.ts";
 * const server = serveRing({ token: "t", chunkLengthFor: () => undefined });
 * const port = Number(new URL(server.url).port);
 * const client = new Http1Client(await Deno.connect({ hostname: "127.0.0.1", port }));
 * const head = new TextEncoder().encode("GET /health HTTP/1.1\r\nhost: a\r\n\r\n");
 * const reply = await client.request(head, new Uint8Array());
 * reply.status; // 401: no job token
 * client.close();
 * await server.shutdown();
 * ```
 */
export class Http1Client {
  readonly #conn: Deno.TcpConn;
  readonly #reader: Http1Reader;
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    // A head and a body go out as separate writes: neither may wait for an ack.
    conn.setNoDelay(true);
    this.#conn = conn;
    this.#reader = new Http1Reader(conn);
  }

  /**
   * Sends a request (`head` ends with its blank line) and resolves with the reply. When
   * `signal` aborts, the connection is closed and this rejects; the caller must not use
   * the connection after any rejection.
   */
  async request(head: Uint8Array, body: Uint8Array, signal?: AbortSignal): Promise<Http1Reply> {
    signal?.throwIfAborted();
    const onAbort = () => this.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      // The reply is read while the body goes out: a server may refuse early and stop
      // reading, and its answer is worth more than the broken pipe that follows.
      const reply = this.#readReply();
      reply.catch(() => {});
      try {
        await writeMessage(this.#conn, head, body);
      } catch (error) {
        const early = await reply.catch(() => undefined);
        if (early === undefined) throw error;
        return { ...early, keepAlive: false };
      }
      return await reply;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Closes the connection; a request in progress rejects. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  async #readReply(): Promise<Http1Reply> {
    const head = await this.#reader.readHead();
    if (head === null) throw new Deno.errors.UnexpectedEof("connection closed before a reply");
    const { status, keepAlive, bodyBytes } = parseResponseHead(head);
    if (bodyBytes > MAX_REPLY_BODY_BYTES) {
      throw new Http1Error(502, `reply ${status} with a body of ${bodyBytes} bytes`);
    }
    const body = new Uint8Array(bodyBytes);
    if (!await this.#reader.readFull(body)) {
      throw new Deno.errors.UnexpectedEof("connection closed inside a reply");
    }
    return { status, body: decoder.decode(body), keepAlive };
  }
}
