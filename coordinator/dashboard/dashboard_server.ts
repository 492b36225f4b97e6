/**
 * A dashboard on a socket of its own: {@link dashboardApp} served by `Deno.serve`, which
 * streams responses (the server-sent events). Off loopback it requires the job token, and
 * its address carries the token for the one who started the run.
 *
 * @module
 */

import { baseUrl, isWildcard } from "../transport/base_url.ts";
import { dashboardApp } from "./dashboard_app.ts";
import { isLoopback } from "./dashboard_auth.ts";
import type { DashboardFeed } from "./dashboard_feed.ts";

/** Options of {@link serveDashboard}. */
export interface DashboardServerOptions {
  /** The runs shown, by name; the first is the default. */
  readonly feeds: ReadonlyMap<string, DashboardFeed>;
  /** Interface to bind. Default `127.0.0.1`. */
  readonly hostname?: string;
  /** Port to bind; `0` picks a free one. Default `0`. */
  readonly port?: number;
  /** The job token that a dashboard off loopback requires. */
  readonly token: string;
}

/** A listening dashboard. */
export interface DashboardServer {
  /** Address to open: with `?token=` when the dashboard is off loopback. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Ends every event stream and stops listening. */
  shutdown(): Promise<void>;
}

/**
 * Starts serving `options.feeds`; it is listening when this returns.
 *
 * @example
 * ```ts
 * import { DashboardFeed } from "./dashboard_feed.ts";
 * import { serveDashboard } from "./dashboard_server.ts";
 * const feeds = new Map([["run-1", new DashboardFeed("run-1")]]);
 * const server = serveDashboard({ feeds, token: "t" });
 * server.url; // "http://127.0.0.1:<port>/"
 * await server.shutdown();
 * ```
 */
export function serveDashboard(options: DashboardServerOptions): DashboardServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const open = isLoopback(hostname);
  const app = dashboardApp({ feeds: options.feeds, token: open ? null : options.token });
  const server = Deno.serve({
    hostname,
    port: options.port ?? 0,
    onListen: () => {},
  }, app.fetch);
  const port = server.addr.port;
  const shown = isWildcard(hostname) ? Deno.hostname() : hostname;
  const url = `${baseUrl(shown, port)}/${open ? "" : `?token=${options.token}`}`;
  return {
    url,
    port,
    async shutdown() {
      for (const feed of options.feeds.values()) feed.close();
      await server.shutdown();
    },
  };
}
