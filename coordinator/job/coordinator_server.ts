/**
 * A coordinator on a socket: {@link coordinatorApp} served by the bounded HTTP/1.1 server
 * of `http1_server.ts` (a cap on connections, idle and slow clients closed after their
 * deadlines), so a flood of connections without the job token cannot crowd the workers
 * out.
 *
 * @module
 */

import type { Coordinator } from "./coordinator.ts";
import { coordinatorApp, type CoordinatorAppOptions } from "./coordinator_app.ts";
import { type Http1Limits, type Http1ServerStats, serveHttp1 } from "../transport/http1_server.ts";
import { hasJobToken } from "../transport/token.ts";

/**
 * Connections a coordinator keeps open at once: every worker holds a few (its requests
 * and its heartbeat thread's), up to 256 workers.
 */
export const COORDINATOR_MAX_CONNECTIONS = 1024;

/** Options of {@link serveCoordinator}. */
export interface CoordinatorServerOptions extends CoordinatorAppOptions {
  /** Interface to bind; loopback unless workers run on other hosts. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /**
   * Any connection limit to change from `DEFAULT_HTTP1_LIMITS`; `maxConnections` defaults
   * to {@link COORDINATOR_MAX_CONNECTIONS}.
   */
  readonly limits?: Partial<Http1Limits>;
  /** Where the server's own troubles go. Default `console.warn`. */
  readonly log?: (line: string) => void;
}

/** A listening coordinator. */
export interface CoordinatorServer {
  /** Base URL workers talk to, e.g. `http://127.0.0.1:29500`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** What the server did to keep within its limits so far. */
  stats(): Http1ServerStats;
  /** Stops listening and waits for requests in flight. */
  shutdown(): Promise<void>;
}

/**
 * Starts serving `coordinator`; it is listening when this returns.
 *
 * @example
 * ```ts
 * import { Coordinator } from "./coordinator.ts";
 * import { serveCoordinator } from "./coordinator_server.ts";
 * import { defaultTrainConfig } from "../../core/train/config.ts";
 * const job = new Coordinator({ world: 2, config: defaultTrainConfig, out: "runs/x" });
 * const server = serveCoordinator(job, { token: "t" });
 * console.log(server.url); // http://127.0.0.1:<port>
 * job.close();
 * await server.shutdown();
 * ```
 */
export function serveCoordinator(
  coordinator: Coordinator,
  options: CoordinatorServerOptions,
): CoordinatorServer {
  const server = serveHttp1({
    fetch: coordinatorApp(coordinator, options).fetch,
    trusts: (headers) => hasJobToken(headers, options.token),
  }, {
    hostname: options.hostname,
    port: options.port,
    name: "coordinator",
    limits: { maxConnections: COORDINATOR_MAX_CONNECTIONS, ...options.limits },
    log: options.log,
  });
  return server;
}
