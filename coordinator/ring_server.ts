/**
 * A rank's ring endpoint on a socket: a small HTTP/1.1 server (`ring_connection.ts`) in
 * front of {@link ringApp}. An accepted chunk goes from the socket straight into the
 * `Float32Array` that the mailbox hands out, copied once, by the kernel; every other
 * request is answered by the app.
 *
 * @module
 */

import { Mailbox } from "./mailbox.ts";
import { ringApp, type RingAppOptions } from "./ring_app.ts";
import { RingConnection } from "./ring_connection.ts";

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
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  });
  const { hostname, port } = listener.addr;
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  const url = `http://${host}:${port}`;
  const endpoint = { options, mailbox, fetch: ringApp(mailbox, options).fetch, origin: url };
  const connections = new Map<RingConnection, Promise<void>>();
  const accepting = (async () => {
    for await (const conn of listener) {
      // Replies are small and answer whole requests: nothing gains from waiting to batch them.
      conn.setNoDelay(true);
      const connection = new RingConnection(conn, endpoint);
      connections.set(connection, connection.serve().finally(() => connections.delete(connection)));
    }
  })();
  return {
    url,
    mailbox,
    async shutdown() {
      listener.close();
      await accepting;
      for (const connection of connections.keys()) connection.stop();
      await Promise.all(connections.values());
    },
  };
}
