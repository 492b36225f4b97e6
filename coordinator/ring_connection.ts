/**
 * One connection to a rank's ring endpoint, spoken as plain HTTP/1.1 (kept alive,
 * `content-length` bodies, one request at a time). A chunk that passes
 * `checkChunkRequest` is read straight into the memory its taker waits with
 * (`Mailbox.claim`), or else into an exact-size `Float32Array`, and delivered; every
 * other request becomes a `Request` for `ringApp`, whose `Response` is written back, so
 * the app decides every refusal exactly as it does in-process.
 *
 * @module
 */

import { Http1Error, parseRequestHead, type RequestHead, responseHead } from "./http1_head.ts";
import { Http1Reader } from "./http1_reader.ts";
import { writeMessage } from "./http1_write.ts";
import type { Mailbox } from "./mailbox.ts";
import { checkChunkRequest, type RingAppOptions } from "./ring_app.ts";

/** What a {@link RingConnection} serves. */
export interface RingEndpoint {
  /** The rules chunks are checked by, as given to `ringApp`. */
  readonly options: RingAppOptions;
  /** Where accepted chunks go. */
  readonly mailbox: Mailbox;
  /** `ringApp(mailbox, options).fetch`: answers everything the fast path does not take. */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  /** Origin that request targets are resolved against, e.g. `http://127.0.0.1:41234`. */
  readonly origin: string;
}

// A body the app left unread is read and dropped, up to this size, so the connection can
// carry the next request; a larger one (an oversized chunk, say) ends the connection
// instead of being read.
const DRAIN_LIMIT_BYTES = 64 * 1024;

const NO_CONTENT = responseHead(204, new Headers(), 0, true);
const NO_CONTENT_CLOSING = responseHead(204, new Headers(), 0, false);

// An I/O error (the peer went away, the connection was closed under us) ends the
// connection quietly; any other error is a fault of this server and is let through.
const isIoError = (error: unknown): boolean =>
  Object.values(Deno.errors).some((kind) => error instanceof kind);

/**
 * Serves requests on one accepted connection until the client closes it, a request
 * cannot be framed, or {@link RingConnection.stop} is called.
 *
 * @example
 * ```ts
 * import { Mailbox } from "./mailbox.ts";
 * import { ringApp } from "./ring_app.ts";
 * import { RingConnection } from "./ring_connection.ts";
 * const options = { token: "t", chunkLengthFor: () => undefined };
 * const mailbox = new Mailbox();
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const origin = `http://127.0.0.1:${listener.addr.port}`;
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const connection = new RingConnection(await listener.accept(), {
 *   options,
 *   mailbox,
 *   fetch: ringApp(mailbox, options).fetch,
 *   origin,
 * });
 * const serving = connection.serve();
 * await client.write(new TextEncoder().encode("GET /health HTTP/1.1\r\n\r\n"));
 * const reply = new Uint8Array(1024);
 * await client.read(reply); // "HTTP/1.1 401 Unauthorized\r\n…"
 * client.close();
 * await serving;
 * listener.close();
 * ```
 */
export class RingConnection {
  readonly #conn: Deno.Conn;
  readonly #reader: Http1Reader;
  readonly #endpoint: RingEndpoint;
  #idle = true;
  #stopping = false;
  #closed = false;

  constructor(conn: Deno.Conn, endpoint: RingEndpoint) {
    this.#conn = conn;
    this.#reader = new Http1Reader(conn);
    this.#endpoint = endpoint;
  }

  /** Resolves when the connection is closed; rejects only on a fault of this server. */
  async serve(): Promise<void> {
    try {
      while (!this.#stopping) {
        this.#idle = !this.#reader.buffered;
        const head = await this.#reader.readHead();
        this.#idle = false;
        if (head === null || !await this.#answer(parseRequestHead(head))) break;
      }
    } catch (error) {
      if (error instanceof Http1Error) await this.#refuse(error);
      else if (!isIoError(error)) throw error;
    } finally {
      this.#close();
    }
  }

  /** Closes the connection now if it waits between requests, else after the current one. */
  stop(): void {
    this.#stopping = true;
    if (this.#idle) this.#close();
  }

  /** Answers one request; resolves with whether the connection carries another. */
  async #answer(request: RequestHead): Promise<boolean> {
    const path = request.target.split("?", 1)[0];
    const { options, mailbox } = this.#endpoint;
    const check = checkChunkRequest(request.method, path, request.headers, options);
    if (!check.ok || check.bytes !== request.bodyBytes) return this.#forward(request);
    const { from, key } = check;
    const floats = check.bytes / Float32Array.BYTES_PER_ELEMENT;
    // Straight into the taker's memory when it waits with some; else an array of its own.
    const target = mailbox.claim(from, key, floats, () => this.#close());
    const data = target ?? new Float32Array(floats);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let complete = false;
    try {
      // A sender that goes away mid-body delivers nothing.
      complete = await this.#reader.readFull(bytes);
    } finally {
      if (!complete && target) mailbox.unclaim(from, key);
    }
    if (!complete) return false;
    // A refused delivery (a second copy) is the app's to answer, from the body in hand.
    if (!mailbox.deliver(from, key, data)) return this.#forward(request, bytes);
    await writeMessage(this.#conn, request.keepAlive ? NO_CONTENT : NO_CONTENT_CLOSING);
    return request.keepAlive;
  }

  /**
   * Passes `request` to the app, with its body still on the connection or, when given,
   * already read, and writes the app's response back.
   */
  async #forward(request: RequestHead, read?: Uint8Array<ArrayBuffer>): Promise<boolean> {
    const unread = new UnreadBody(this.#reader, read ? 0 : request.bodyBytes);
    const bodiless = request.method === "GET" || request.method === "HEAD";
    let forwarded: Request;
    try {
      forwarded = new Request(this.#endpoint.origin + request.target, {
        method: request.method,
        headers: request.headers.toHeaders(),
        body: bodiless ? null : read ?? unread.stream,
      });
    } catch (error) {
      throw new Http1Error(400, `cannot form a request: ${(error as Error).message}`);
    }
    const response = await this.#endpoint.fetch(forwarded);
    const body = new Uint8Array(await response.arrayBuffer());
    const left = await unread.left();
    const keepAlive = request.keepAlive && left <= DRAIN_LIMIT_BYTES;
    const head = responseHead(response.status, response.headers, body.length, keepAlive);
    await writeMessage(this.#conn, head, request.method === "HEAD" ? undefined : body);
    return keepAlive && await unread.drain();
  }

  async #refuse(error: Http1Error): Promise<void> {
    const body = new TextEncoder().encode(error.message);
    const headers = new Headers({ "content-type": "text/plain; charset=UTF-8" });
    const head = responseHead(error.status, headers, body.length, false);
    await writeMessage(this.#conn, head, body).catch(() => {});
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/**
 * The body of a forwarded request while it is still on the connection: a stream that
 * reads only when the app asks, so a body the app never reads stays unread.
 */
class UnreadBody {
  readonly stream: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  readonly #reader: Http1Reader;
  #left: number;
  #reading: Promise<void> = Promise.resolve();

  constructor(reader: Http1Reader, bytes: number) {
    this.#reader = reader;
    this.#left = bytes;
    this.stream = bytes === 0 ? null : new ReadableStream({
      pull: (controller) => (this.#reading = this.#pull(controller)),
    }, { highWaterMark: 0 });
  }

  /** Bytes not yet read, once no read is under way. */
  async left(): Promise<number> {
    await this.#reading.catch(() => {});
    return this.#left;
  }

  /** Reads and drops the rest; `false` when the connection ends first. */
  async drain(): Promise<boolean> {
    while (this.#left > 0) {
      const piece = await this.#reader.readSome(this.#left);
      if (piece === null) return false;
      this.#left -= piece.length;
    }
    return true;
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>) {
    const piece = await this.#reader.readSome(this.#left);
    if (piece === null) {
      controller.error(new Deno.errors.UnexpectedEof("connection closed inside a body"));
      return;
    }
    this.#left -= piece.length;
    controller.enqueue(piece);
    if (this.#left === 0) controller.close();
  }
}
