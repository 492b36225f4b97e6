/**
 * A rank's ring endpoint on a socket: the bounded HTTP/1.1 server of `http1_server.ts` in
 * front of {@link ringApp}. An accepted chunk goes from the socket straight into the
 * `Float32Array` that the mailbox hands out, copied once, by the kernel; every other
 * request is answered by the app, so the app decides every refusal exactly as it does
 * in-process.
 *
 * Why a socket path beside the Hono route: chunks are the hot path of every step, and a
 * 4 MB PUT through a Hono route ran at about 0.57 GB/s on a 2-core machine where raw
 * `Deno.serve` reached 0.68 GB/s (DESIGN.md, Mesh); reading the body straight into the
 * mailbox's array also saves a copy of each chunk. The route itself serves in-process tests
 * (`app.request`) and every refusal.
 *
 * @module
 */

import type { DirectBody, DirectOutcome } from "./http1_connection.ts";
import type { RequestHead } from "./http1_head.ts";
import { type Http1Limits, type Http1ServerStats, serveHttp1 } from "./http1_server.ts";
import { Mailbox } from "./mailbox.ts";
import { checkChunkRequest, ringApp, type RingAppOptions } from "./ring_app.ts";
import { hasJobToken } from "./token.ts";

/** Options of {@link serveRing}. */
export interface RingServerOptions extends RingAppOptions {
  /** Interface to bind; loopback unless the mesh spans hosts. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /** Any connection limit to change from `DEFAULT_HTTP1_LIMITS`. */
  readonly limits?: Partial<Http1Limits>;
  /** Where the server's own troubles go. Default `console.warn`. */
  readonly log?: (line: string) => void;
}

/** A listening ring endpoint. */
export interface RingServer {
  /** Base URL that peers send to, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Where accepted chunks wait; give it to the rank's `HttpLink`. */
  readonly mailbox: Mailbox;
  /** What the server did to keep within its limits so far. */
  stats(): Http1ServerStats;
  /** Stops listening and waits for requests in flight. */
  shutdown(): Promise<void>;
}

/**
 * Reads a chunk that passes `checkChunkRequest` straight into the memory its taker waits
 * with (`Mailbox.claim`), or else into an exact-size `Float32Array`, and delivers it;
 * leaves every other request to the app.
 */
function chunkIntake(mailbox: Mailbox, options: RingAppOptions) {
  return async (request: RequestHead, body: DirectBody): Promise<DirectOutcome> => {
    const path = request.target.split("?", 1)[0];
    const check = checkChunkRequest(request.method, path, request.headers, options, mailbox);
    if (!check.ok || check.bytes !== request.bodyBytes) return { kind: "fetch" };
    const { from, key } = check;
    const floats = check.bytes / Float32Array.BYTES_PER_ELEMENT;
    // Straight into the taker's memory when it waits with some; else an array of its own.
    const target = mailbox.claim(from, key, floats, body.cancel);
    const data = target ?? new Float32Array(floats);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let complete = false;
    try {
      // A sender that goes away mid-body delivers nothing.
      complete = await body.read(bytes);
    } finally {
      if (!complete && target) mailbox.unclaim(from, key);
    }
    if (!complete) return { kind: "cut" };
    // A refused delivery (a second copy) is the app's to answer, from the body in hand.
    return mailbox.deliver(from, key, data) ? { kind: "taken" } : { kind: "fetch", body: bytes };
  };
}

/**
 * Starts serving a ring endpoint; it is listening when this returns.
 *
 * @example
 * ```ts
 * import { serveRing } from "./ring_server.ts";
 * const server = serveRing({ token: "t", chunkLengthFor: () => undefined });
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.shutdown();
 * ```
 */
export function serveRing(options: RingServerOptions): RingServer {
  const mailbox = new Mailbox();
  const server = serveHttp1({
    fetch: ringApp(mailbox, options).fetch,
    trusts: (headers) => hasJobToken(headers, options.token),
    direct: chunkIntake(mailbox, options),
  }, {
    hostname: options.hostname,
    port: options.port,
    name: "ring endpoint",
    limits: options.limits,
    log: options.log,
  });
  return { url: server.url, mailbox, stats: server.stats, shutdown: server.shutdown };
}
