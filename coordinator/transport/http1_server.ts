/**
 * A bounded HTTP/1.1 server: the coordinator's and every rank's ring port. It accepts up
 * to `maxConnections` at once; beyond that a new connection takes the place of the
 * longest-open one that never showed the job token and waits for a head, or is closed at
 * once when there is none, so a flood of idle or half-open connections cannot keep the
 * job's own out. Each connection's deadlines (`http1_connection.ts`) are enforced by one
 * sweep a few times a second. The accept loop never dies: out of file descriptors
 * (EMFILE) it closes such a connection or backs off, logs once, and keeps serving.
 *
 * @module
 */

import { baseUrl } from "./base_url.ts";
import { Http1Connection, type Http1Handler, type Http1Timeouts } from "./http1_connection.ts";
import { sleep } from "./sleep.ts";

/** The bounds of a server: its connection cap and the deadlines of each connection. */
export interface Http1Limits extends Http1Timeouts {
  /** Connections open at once. */
  readonly maxConnections: number;
}

/**
 * Limits unless told otherwise: generous for the job's own traffic (a few connections per
 * peer, replies within milliseconds), tight for a client that holds a connection and
 * sends nothing.
 */
export const DEFAULT_HTTP1_LIMITS: Http1Limits = {
  maxConnections: 256,
  idleTimeoutMs: 30_000,
  headTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  minBytesPerSecond: 256 * 1024,
};

/** Options of {@link serveHttp1}. */
export interface Http1ServerOptions {
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /** Names the server in log lines, e.g. `ring endpoint of rank 1`. */
  readonly name: string;
  /** Any limit to change from {@link DEFAULT_HTTP1_LIMITS}. */
  readonly limits?: Partial<Http1Limits>;
  /** Where the server's own troubles go (out of descriptors, faults). Default `console.warn`. */
  readonly log?: (line: string) => void;
}

/** Counts of what a server did to keep within its limits. */
export interface Http1ServerStats {
  /** Connections open now. */
  readonly open: number;
  /** Connections accepted in all, whether kept or closed at once. */
  readonly accepted: number;
  /** Connections closed at once on arrival: the cap was reached and none could make room. */
  readonly refused: number;
  /** Connections without the job token closed to make room for a newer one. */
  readonly evicted: number;
  /** Connections closed because a deadline passed. */
  readonly expired: number;
}

/** A listening server. */
export interface Http1Server {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** What it did to keep within its limits so far. */
  stats(): Http1ServerStats;
  /** Stops listening, closes idle connections and waits for requests in flight. */
  shutdown(): Promise<void>;
}

const FIRST_BACKOFF_MS = 10;
const LONGEST_BACKOFF_MS = 1000;

/** Whether an accept failed for want of file descriptors. */
const outOfDescriptors = (error: unknown): boolean => {
  const code = (error as { code?: unknown }).code;
  return code === "EMFILE" || code === "ENFILE";
};

/**
 * Starts serving `handler` within `limits`; it is listening when this returns.
 *
 * @example
 * ```ts
 * import { serveHttp1 } from "./http1_server.ts";
 * const server = serveHttp1(
 *   { fetch: () => new Response("ok"), trusts: () => false },
 *   { name: "example", limits: { maxConnections: 8 } },
 * );
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.shutdown();
 * ```
 */
export function serveHttp1(handler: Http1Handler, options: Http1ServerOptions): Http1Server {
  const limits = { ...DEFAULT_HTTP1_LIMITS, ...options.limits };
  const log = options.log ?? console.warn;
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  });
  const { hostname, port } = listener.addr;
  const url = baseUrl(hostname, port);
  // Open connections, in arrival order; and every serving, closed or not, for shutdown.
  const connections = new Set<Http1Connection>();
  const serving = new Set<Promise<void>>();
  /** Closes `connection` now; it no longer counts against the cap. */
  const drop = (connection: Http1Connection) => {
    connection.close();
    connections.delete(connection);
  };
  const counts = { accepted: 0, refused: 0, evicted: 0, expired: 0 };
  const logged = new Set<string>();
  const logOnce = (kind: string, line: string) => {
    if (logged.has(kind)) return;
    logged.add(kind);
    log(`${options.name} ${url}: ${line}`);
  };
  // Set order is arrival order: the first evictable connection is the longest open.
  const evictOne = (): boolean => {
    for (const connection of connections) {
      if (!connection.evictable) continue;
      drop(connection);
      counts.evicted++;
      return true;
    }
    return false;
  };
  const admit = (conn: Deno.Conn) => {
    counts.accepted++;
    if (connections.size >= limits.maxConnections) {
      logOnce(
        "cap",
        `${limits.maxConnections} connections open: newcomers displace idle ones without ` +
          "the job token, or are refused",
      );
      if (!evictOne()) {
        counts.refused++;
        conn.close();
        return;
      }
    }
    // Replies are small and answer whole requests: nothing gains from waiting to batch them.
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const connection = new Http1Connection(conn, handler, url, limits);
    const served: Promise<void> = connection.serve().catch((error) => {
      log(`${options.name} ${url}: connection failed: ${(error as Error).message ?? error}`);
    }).finally(() => {
      connections.delete(connection);
      serving.delete(served);
    });
    connections.add(connection);
    serving.add(served);
  };
  let closing = false;
  const accepting = (async () => {
    for (let backoff = FIRST_BACKOFF_MS; !closing;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing) break;
        if (outOfDescriptors(error)) {
          logOnce(
            "descriptors",
            "out of file descriptors (EMFILE); closing connections without the job token " +
              "and retrying",
          );
          // A descriptor freed is a connection accepted at once; else wait for one.
          if (evictOne()) continue;
        } else {
          logOnce(`accept ${(error as Error).name}`, `accept failed: ${(error as Error).message}`);
        }
        await sleep(backoff);
        backoff = Math.min(2 * backoff, LONGEST_BACKOFF_MS);
        continue;
      }
      backoff = FIRST_BACKOFF_MS;
      admit(conn);
    }
  })();
  // A connection past its deadline is closed; a quarter of the shortest limit is late enough.
  const sweepMs = Math.max(
    20,
    Math.min(1000, limits.headTimeoutMs / 4, limits.idleTimeoutMs / 4, limits.bodyTimeoutMs / 4),
  );
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (connection.deadline > now) continue;
      drop(connection);
      counts.expired++;
    }
  }, sweepMs);
  let stopped: Promise<void> | undefined;
  const stop = async () => {
    closing = true;
    clearInterval(sweeper);
    listener.close();
    await accepting;
    for (const connection of connections) connection.stop();
    await Promise.all(serving);
  };
  return {
    url,
    port,
    stats: () => ({ open: connections.size, ...counts }),
    shutdown: () => stopped ??= stop(),
  };
}
