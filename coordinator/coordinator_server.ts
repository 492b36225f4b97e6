/**
 * A coordinator on a socket: {@link coordinatorApp} served by `Deno.serve`.
 *
 * @module
 */

import { baseUrl } from "./base_url.ts";
import type { Coordinator } from "./coordinator.ts";
import { coordinatorApp, type CoordinatorAppOptions } from "./coordinator_app.ts";

/** Options of {@link serveCoordinator}. */
export interface CoordinatorServerOptions extends CoordinatorAppOptions {
  /** Interface to bind; loopback unless workers run on other hosts. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
}

/** A listening coordinator. */
export interface CoordinatorServer {
  /** Base URL workers talk to, e.g. `http://127.0.0.1:29500`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
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
 * import { defaultTrainConfig } from "../core/train/config.ts";
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
  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen() {} },
    coordinatorApp(coordinator, options).fetch,
  );
  const { hostname, port } = server.addr;
  return { url: baseUrl(hostname, port), port, shutdown: () => server.shutdown() };
}
