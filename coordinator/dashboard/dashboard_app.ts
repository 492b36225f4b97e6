/**
 * The dashboard's HTTP face: one page that charts a run live, and the data behind it.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /` | the page (`static/index.html`) |
 * | `GET /static/*` | its script and style, and uPlot's, from the npm package |
 * | `GET /api/runs` | `{ runs: string[] }`, the names of the runs served |
 * | `GET /api/status?run=NAME` | a `FeedSnapshot`: state, ranks and every record so far |
 * | `GET /api/events?run=NAME` | server-sent events: `snapshot` first, then `records`, `job` |
 *
 * Without `run`, the first run. Every route is behind {@link dashboardAuth}. The number of
 * event streams open at once is capped (503 beyond it). A server that buffers whole
 * responses (the coordinator's bounded HTTP/1.1 server) mounts it with `push: false`:
 * there is then no event stream (404) and the page polls `/api/status` instead.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import uplotCss from "uplot/dist/uPlot.min.css" with { type: "text" };
import uplotJs from "uplot/dist/uPlot.iife.min.js" with { type: "text" };
import pageCss from "./static/dashboard.css" with { type: "text" };
import pageHtml from "./static/index.html" with { type: "text" };
import pageJs from "./static/dashboard.js" with { type: "text" };
import { dashboardAuth } from "./dashboard_auth.ts";
import type { DashboardFeed, FeedEvent } from "./dashboard_feed.ts";

/** Event streams one dashboard keeps open at once. */
export const MAX_EVENT_STREAMS = 32;

/** How often an idle event stream sends a comment, so a dead reader is noticed. */
export const KEEPALIVE_MS = 15_000;

/** Options of {@link dashboardApp}. */
export interface DashboardAppOptions {
  /** The runs shown, by name; the first is the default. */
  readonly feeds: ReadonlyMap<string, DashboardFeed>;
  /** The job token every request must show, or null for none (loopback). */
  readonly token: string | null;
  /** Whether to serve `/api/events`. Default true. */
  readonly push?: boolean;
}

const STATIC: Record<string, { body: string; type: string }> = {
  "dashboard.js": { body: pageJs, type: "text/javascript; charset=utf-8" },
  "dashboard.css": { body: pageCss, type: "text/css; charset=utf-8" },
  "uplot.js": { body: uplotJs, type: "text/javascript; charset=utf-8" },
  "uplot.css": { body: uplotCss, type: "text/css; charset=utf-8" },
};

const encoder = new TextEncoder();

/**
 * Creates the dashboard app over `options.feeds`.
 *
 * @example
 * ```ts
 * import { DashboardFeed } from "./dashboard_feed.ts";
 * import { dashboardApp } from "./dashboard_app.ts";
 * const feed = new DashboardFeed("run-1");
 * const app = dashboardApp({ feeds: new Map([["run-1", feed]]), token: null });
 * const status = await (await app.request("/api/status")).json();
 * status.run; // "run-1"
 * ```
 */
export function dashboardApp(options: DashboardAppOptions): Hono {
  const app = new Hono();
  let streams = 0;
  // Only its own paths: mounted on the coordinator's app, it leaves `/v1` and `/health` be.
  for (const path of ["/", "/static/*", "/api/*"]) {
    app.use(path, dashboardAuth(options.token));
    app.use(path, async (c, next) => {
      await next();
      c.header("x-content-type-options", "nosniff");
      c.header("x-frame-options", "DENY");
      c.header("content-security-policy", "default-src 'self'; style-src 'self' 'unsafe-inline'");
    });
  }
  const feedOf = (c: Context): DashboardFeed | undefined => {
    const run = c.req.query("run");
    return run === undefined ? options.feeds.values().next().value : options.feeds.get(run);
  };
  const noRun = (c: Context) =>
    c.json({ error: `no run named ${JSON.stringify(c.req.query("run"))}` }, 404);

  app.get("/", (c) => c.html(pageHtml));
  app.get("/static/:file", (c) => {
    const file = STATIC[c.req.param("file")];
    if (!file) return c.notFound();
    return c.body(file.body, 200, { "content-type": file.type, "cache-control": "no-cache" });
  });
  app.get("/api/runs", (c) => c.json({ runs: [...options.feeds.keys()] }));
  app.get("/api/status", (c) => {
    const feed = feedOf(c);
    if (!feed) return noRun(c);
    c.header("cache-control", "no-store");
    return c.json(feed.snapshot());
  });
  if (options.push ?? true) {
    app.get("/api/events", (c) => {
      const feed = feedOf(c);
      if (!feed) return noRun(c);
      if (streams >= MAX_EVENT_STREAMS) {
        return c.json({ error: `over ${MAX_EVENT_STREAMS} event streams open` }, 503);
      }
      streams++;
      let stop = () => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          const write = (text: string) => controller.enqueue(encoder.encode(text));
          const send = (event: string, data: unknown) =>
            write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
          const keepalive = setInterval(() => write(": keepalive\n\n"), KEEPALIVE_MS);
          let unsubscribe = () => {};
          stop = () => {
            clearInterval(keepalive);
            unsubscribe();
            streams--;
            stop = () => {};
          };
          send("snapshot", feed.snapshot());
          unsubscribe = feed.subscribe((event: FeedEvent) => {
            if (event.kind !== "closed") return send(event.kind, event.data);
            stop();
            controller.close();
          });
        },
        cancel() {
          stop();
        },
      });
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
        },
      });
    });
  }
  return app;
}
