/**
 * One connection to an {@link serveHttp1} server, spoken as plain HTTP/1.1 (kept alive,
 * `content-length` bodies, one request at a time). A request whose body the handler's
 * `direct` path takes (a ring chunk, read straight into the memory its taker waits with)
 * never becomes a `Request`; every other request does, for the handler's `fetch`, whose
 * `Response` is written back.
 *
 * Every phase but the handler's own work has a deadline, which the server enforces by
 * closing the connection: the first head within `headTimeoutMs` of the connection's
 * opening, the next one within `idleTimeoutMs` of the last reply and then `headTimeoutMs`
 * of its first byte, a body or a reply of `n` bytes within
 * `bodyTimeoutMs + n / minBytesPerSecond`. So an idle, half-open or trickling client
 * holds a connection for a bounded time.
 *
 * @module
 */

import {
  type HeaderFields,
  Http1Error,
  parseRequestHead,
  type RequestHead,
  responseHead,
} from "./http1_head.ts";
import { Http1Reader } from "./http1_reader.ts";
import { writeMessage } from "./http1_write.ts";

/** The time limits of a connection (see the module documentation). */
export interface Http1Timeouts {
  /** A kept-alive connection that sends nothing this long after a reply is closed. */
  readonly idleTimeoutMs: number;
  /** A head must be whole this long after its first byte (after the opening, for the first). */
  readonly headTimeoutMs: number;
  /** Base time for a body or a reply, to which its length at `minBytesPerSecond` is added. */
  readonly bodyTimeoutMs: number;
  /** Slowest transfer rate of a body or a reply that a client is allowed. */
  readonly minBytesPerSecond: number;
}

/** A request body that the `direct` path reads itself. */
export interface DirectBody {
  /** Fills `target` from the connection; `false` when the client went away first. */
  read(target: Uint8Array): Promise<boolean>;
  /** Closes the connection now, stopping a read under way. */
  cancel(): void;
}

/**
 * What the `direct` path did with a request: took it (answered 204), left it to `fetch`
 * (with its body when it has read it), or lost it to a client that went away.
 */
export type DirectOutcome =
  | { readonly kind: "taken" }
  | { readonly kind: "fetch"; readonly body?: Uint8Array<ArrayBuffer> }
  | { readonly kind: "cut" };

/** What a server answers with. */
export interface Http1Handler {
  /** Answers every request that `direct` does not take. */
  readonly fetch: (request: Request) => Response | Promise<Response>;
  /**
   * Whether a request's fields carry the job's credentials: a connection that has sent
   * such a request is never closed to make room for another.
   */
  readonly trusts: (headers: HeaderFields) => boolean;
  /** Takes a request before `fetch` would, reading its body itself. */
  readonly direct?: (request: RequestHead, body: DirectBody) => Promise<DirectOutcome>;
}

// A body the app left unread is read and dropped, up to this size, so the connection can
// carry the next request; a larger one (an oversized chunk, say) ends the connection
// instead of being read.
const DRAIN_LIMIT_BYTES = 64 * 1024;

const NO_CONTENT = responseHead(204, new Headers(), 0, true);
const NO_CONTENT_CLOSING = responseHead(204, new Headers(), 0, false);

/** Whether `error` is an I/O error: the peer went away, or the connection was closed under us. */
export const isIoError = (error: unknown): boolean =>
  Object.values(Deno.errors).some((kind) => error instanceof kind);

/** Where a connection is: what it waits for decides its deadline. */
type Phase = "idle" | "head" | "body" | "handler" | "reply";

/**
 * Serves requests on one accepted connection until the client closes it, a request
 * cannot be framed, a deadline passes, or {@link Http1Connection.stop} is called.
 *
 * @example
 * ```ts
 * import { Http1Connection } from "./http1_connection.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const client = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
 * const timeouts = {
 *   idleTimeoutMs: 1000,
 *   headTimeoutMs: 1000,
 *   bodyTimeoutMs: 1000,
 *   minBytesPerSecond: 1024,
 * };
 * const handler = { fetch: () => new Response("hi"), trusts: () => false };
 * const connection = new Http1Connection(await listener.accept(), handler, "http://x", timeouts);
 * const serving = connection.serve();
 * await client.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
 * const reply = new Uint8Array(1024);
 * await client.read(reply); // "HTTP/1.1 200 OK\r\n…hi"
 * client.close();
 * await serving;
 * listener.close();
 * ```
 */
export class Http1Connection {
  readonly #conn: Deno.Conn;
  readonly #reader: Http1Reader;
  readonly #handler: Http1Handler;
  readonly #origin: string;
  readonly #timeouts: Http1Timeouts;
  #phase: Phase = "head";
  #deadline: number;
  #trusted = false;
  #stopping = false;
  #closed = false;

  constructor(conn: Deno.Conn, handler: Http1Handler, origin: string, timeouts: Http1Timeouts) {
    this.#conn = conn;
    this.#handler = handler;
    this.#origin = origin;
    this.#timeouts = timeouts;
    this.#deadline = Date.now() + timeouts.headTimeoutMs;
    // The first byte of a head after an idle wait starts the head's own deadline.
    this.#reader = new Http1Reader({
      read: async (into) => {
        const n = await conn.read(into);
        if (n !== null && this.#phase === "idle") this.#enter("head");
        return n;
      },
    });
  }

  /** When the server closes this connection unless it moves on: epoch ms, or `Infinity`. */
  get deadline(): number {
    return this.#deadline;
  }

  /** Whether it may be closed to make room: it never showed credentials and waits for a head. */
  get evictable(): boolean {
    return !this.#closed && !this.#trusted && (this.#phase === "idle" || this.#phase === "head");
  }

  /** Resolves when the connection is closed; rejects only on a fault of this server. */
  async serve(): Promise<void> {
    try {
      while (!this.#stopping) {
        const head = await this.#reader.readHead();
        if (head === null) break;
        const request = parseRequestHead(head);
        if (this.#handler.trusts(request.headers)) this.#trusted = true;
        this.#enter(request.bodyBytes > 0 ? "body" : "handler", request.bodyBytes);
        if (!await this.#answer(request)) break;
        this.#enter(this.#reader.buffered ? "head" : "idle");
      }
    } catch (error) {
      if (error instanceof Http1Error) await this.#refuse(error);
      else if (!isIoError(error)) throw error;
    } finally {
      this.close();
    }
  }

  /**
   * Closes the connection now if it waits for a request (between requests, or while a
   * head arrives), else after the current one.
   */
  stop(): void {
    this.#stopping = true;
    if (this.#phase === "idle" || this.#phase === "head") this.close();
  }

  /** Closes the connection now; a read or write under way fails and the serving ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline = Infinity;
    this.#conn.close();
  }

  #enter(phase: Phase, bytes = 0): void {
    this.#phase = phase;
    const { idleTimeoutMs, headTimeoutMs, bodyTimeoutMs, minBytesPerSecond } = this.#timeouts;
    const now = Date.now();
    this.#deadline = phase === "idle"
      ? now + idleTimeoutMs
      : phase === "head"
      ? now + headTimeoutMs
      : phase === "handler"
      ? Infinity
      : now + bodyTimeoutMs + (1000 * bytes) / minBytesPerSecond;
  }

  /** Answers one request; resolves with whether the connection carries another. */
  async #answer(request: RequestHead): Promise<boolean> {
    const direct = this.#handler.direct;
    if (!direct) return this.#forward(request);
    const outcome = await direct(request, {
      read: async (target) => {
        const complete = await this.#reader.readFull(target);
        if (complete) this.#enter("handler");
        return complete;
      },
      cancel: () => this.close(),
    });
    if (outcome.kind === "cut") return false;
    if (outcome.kind === "fetch") return this.#forward(request, outcome.body);
    await this.#write(request.keepAlive ? NO_CONTENT : NO_CONTENT_CLOSING);
    return request.keepAlive;
  }

  /**
   * Passes `request` to the handler's `fetch`, with its body still on the connection or,
   * when given, already read, and writes the response back.
   */
  async #forward(request: RequestHead, read?: Uint8Array<ArrayBuffer>): Promise<boolean> {
    const unread = new UnreadBody(
      this.#reader,
      read ? 0 : request.bodyBytes,
      () => this.#enter("handler"),
    );
    const bodiless = request.method === "GET" || request.method === "HEAD";
    let forwarded: Request;
    try {
      forwarded = new Request(this.#origin + request.target, {
        method: request.method,
        headers: request.headers.toHeaders(),
        body: bodiless ? null : read ?? unread.stream,
      });
    } catch (error) {
      throw new Http1Error(400, `cannot form a request: ${(error as Error).message}`);
    }
    const response = await this.#handler.fetch(forwarded);
    const body = new Uint8Array(await response.arrayBuffer());
    const left = await unread.left();
    const keepAlive = request.keepAlive && left <= DRAIN_LIMIT_BYTES;
    const head = responseHead(response.status, response.headers, body.length, keepAlive);
    await this.#write(head, request.method === "HEAD" ? undefined : body);
    if (!keepAlive) return false;
    this.#enter("body", left);
    return await unread.drain();
  }

  async #write(head: Uint8Array, body?: Uint8Array): Promise<void> {
    this.#enter("reply", head.length + (body?.length ?? 0));
    await writeMessage(this.#conn, head, body);
  }

  async #refuse(error: Http1Error): Promise<void> {
    const body = new TextEncoder().encode(error.message);
    const headers = new Headers({ "content-type": "text/plain; charset=UTF-8" });
    const head = responseHead(error.status, headers, body.length, false);
    await this.#write(head, body).catch(() => {});
  }
}

/**
 * The body of a forwarded request while it is still on the connection: a stream that
 * reads only when the app asks, so a body the app never reads stays unread.
 */
class UnreadBody {
  readonly stream: ReadableStream<Uint8Array<ArrayBuffer>> | null;
  readonly #reader: Http1Reader;
  readonly #onEnd: () => void;
  #left: number;
  #reading: Promise<void> = Promise.resolve();

  constructor(reader: Http1Reader, bytes: number, onEnd: () => void) {
    this.#reader = reader;
    this.#left = bytes;
    this.#onEnd = onEnd;
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
    if (this.#left === 0) {
      controller.close();
      this.#onEnd();
    }
  }
}
