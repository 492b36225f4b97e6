/**
 * Who may see a dashboard. On loopback, anyone on the machine (like the run's own files).
 * Off loopback, only who holds the job token: given once in the address (`?token=`), it
 * is answered with a cookie (`HttpOnly`, `SameSite=Strict`) and a redirect to the same
 * address without it, so the token leaves the address bar and the history; after that the
 * cookie is enough. An `authorization: Bearer <token>` header works too (scripts, curl).
 * Anything else is 401 and shows nothing. Tokens are compared in constant time.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";
import { constantTimeEqual, hasJobToken } from "../transport/token.ts";

/**
 * Name of the cookie that carries the job token after the first visit, followed by `_` and
 * the port: browsers share cookies between the ports of a host, and two runs on one
 * machine have two tokens.
 */
export const DASHBOARD_COOKIE = "gradmesh_dashboard";

/** The cookie's name for a dashboard at `url`, e.g. `gradmesh_dashboard_8080`. */
export function dashboardCookie(url: URL): string {
  return `${DASHBOARD_COOKIE}_${url.port || (url.protocol === "https:" ? "443" : "80")}`;
}

/** Whether `hostname` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopback(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/** The value of cookie `name` in a `cookie` header, if present. */
function cookieValue(header: string | null, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Middleware that enforces the rules above when `token` is given, and lets every request
 * through when it is null (a dashboard on loopback).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { dashboardAuth } from "./dashboard_auth.ts";
 * const app = new Hono();
 * app.use("*", dashboardAuth("s3cret"));
 * app.get("/", (c) => c.text("charts"));
 * (await app.request("/")).status; // 401
 * (await app.request("/?token=s3cret")).status; // 303, with the cookie
 * ```
 */
export function dashboardAuth(token: string | null): MiddlewareHandler {
  return async (c, next) => {
    if (token === null) return await next();
    const url = new URL(c.req.url);
    const given = url.searchParams.get("token");
    if (given !== null) {
      if (!constantTimeEqual(given, token)) return c.text("wrong job token\n", 401);
      url.searchParams.delete("token");
      c.header("set-cookie", `${dashboardCookie(url)}=${token}; Path=/; HttpOnly; SameSite=Strict`);
      return c.redirect(url.pathname + url.search, 303);
    }
    const cookie = cookieValue(c.req.header("cookie") ?? null, dashboardCookie(url));
    const ok = (cookie !== undefined && constantTimeEqual(cookie, token)) ||
      hasJobToken(c.req.raw.headers, token);
    if (!ok) {
      return c.text(
        "this dashboard needs the job token: open the address printed when the run started\n",
        401,
      );
    }
    await next();
  };
}
