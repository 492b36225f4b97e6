/**
 * A rank's ring endpoint on a socket: {@link ringApp} served by `Deno.serve`.
 *
 * @module
 */

import { Mailbox } from "./mailbox.ts";
import { ringApp, type RingAppOptions } from "./ring_app.ts";

/** Options of {@link serveRing}. */
export interface RingServerOptions extends RingAppOptions {
  /** Interface to bind; loopback unless the mesh spans hosts. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
}

/** A listening ring endpoint. */
export interface RingServer {
  /** Base URL that peers send to, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Where accepted chunks wait; give it to the rank's `HttpLink`. */
  readonly mailbox: Mailbox;
  /** Stops listening and waits for requests in flight. */
  shutdown(): Promise<void>;
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
  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen() {} },
    ringApp(mailbox, options).fetch,
  );
  const { hostname, port } = server.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return { url: `http://${host}:${port}`, mailbox, shutdown: () => server.shutdown() };
}
