/**
 * The coordinator's HTTP face: a Hono app over a {@link Coordinator}.
 *
 * | route | body → answer |
 * | --- | --- |
 * | `POST /v1/join` | `JoinRequest` → `JoinReply`, once the world is complete (long poll) |
 * | `POST /v1/heartbeat` | `HeartbeatRequest` → `HeartbeatReply` |
 * | `POST /v1/metrics` | `MetricsReport` → 204 |
 * | `POST /v1/records` | `RecordsReport` → 204 |
 * | `POST /v1/fail` | `FailReport` → 204 |
 * | `POST /v1/done` | `DoneReport` → 204 |
 * | `GET /v1/status` | → `JobStatus` |
 * | `GET /health` | → `{ ok: true }`, no token needed |
 * | `GET /`, `/static/*`, `/api/*` | the job's dashboard, when one is given (its own rules) |
 *
 * Every `/v1` request carries `authorization: Bearer <job token>`, compared in constant
 * time; anything else is 401 and changes nothing. Then a body over the size limit is 413,
 * malformed JSON or a bad field 400 (`{ error }` names the field), and a request the job's
 * state refuses (a taken rank, a join after the rendezvous) 409.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { GradmeshError } from "../../core/errors.ts";
import type { Coordinator } from "./coordinator.ts";
import { WireFormatError } from "./job_errors.ts";
import { hasJobToken } from "../transport/token.ts";
import {
  parseDoneReport,
  parseFailReport,
  parseHeartbeat,
  parseJoinRequest,
  parseMetricsReport,
  parseRecordsReport,
} from "./wire.ts";

/** Default limit on request bodies: every message is a few hundred bytes. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Options of {@link coordinatorApp}. */
export interface CoordinatorAppOptions {
  /** The job token every `/v1` request must carry. */
  readonly token: string;
  /** Largest request body accepted. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** The job's dashboard (`dashboardApp` with `push: false`), mounted at `/`. */
  readonly dashboard?: Hono;
}

async function jsonBody(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new WireFormatError("body", "expected JSON");
  }
}

/**
 * Creates the app that serves `coordinator`.
 *
 * @example Testing a route in-process
 * ```ts
 * import { Coordinator } from "./coordinator.ts";
 * import { coordinatorApp } from "./coordinator_app.ts";
 * import { defaultTrainConfig } from "../../core/train/config.ts";
 * const job = new Coordinator({ world: 1, config: defaultTrainConfig, out: "runs/x" });
 * const app = coordinatorApp(job, { token: "t" });
 * const res = await app.request("/v1/status"); // no token
 * res.status; // 401
 * job.close();
 * ```
 */
export function coordinatorApp(coordinator: Coordinator, options: CoordinatorAppOptions): Hono {
  const maxSize = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  app.use("/v1/*", async (c, next) => {
    if (!hasJobToken(c.req.raw.headers, options.token)) {
      c.header("www-authenticate", "Bearer");
      return c.json({ error: "wrong or missing job token" }, 401);
    }
    await next();
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize,
      onError: (c) => c.json({ error: `body over ${maxSize} bytes` }, 413),
    }),
  );
  app.post("/v1/join", async (c) => {
    const request = parseJoinRequest(await jsonBody(c));
    return c.json(await coordinator.join(request));
  });
  app.post("/v1/heartbeat", async (c) => {
    return c.json(coordinator.heartbeat(parseHeartbeat(await jsonBody(c))));
  });
  app.post("/v1/metrics", async (c) => {
    coordinator.recordMetrics(parseMetricsReport(await jsonBody(c)));
    return c.body(null, 204);
  });
  app.post("/v1/records", async (c) => {
    coordinator.recordRecords(parseRecordsReport(await jsonBody(c)));
    return c.body(null, 204);
  });
  app.post("/v1/fail", async (c) => {
    coordinator.fail(parseFailReport(await jsonBody(c)));
    return c.body(null, 204);
  });
  app.post("/v1/done", async (c) => {
    coordinator.done(parseDoneReport(await jsonBody(c)));
    return c.body(null, 204);
  });
  app.get("/v1/status", (c) => c.json(coordinator.status()));
  if (options.dashboard) app.route("/", options.dashboard);
  app.onError((error, c) => {
    if (error instanceof WireFormatError) return c.json({ error: error.message }, 400);
    if (error instanceof GradmeshError) {
      // A bad configuration (exit 2) says so, for the worker to exit with the same code.
      const exitCode = error.exitCode === 2 ? { exitCode: 2 } : {};
      return c.json({ error: error.message, ...exitCode }, 409);
    }
    return c.json({ error: String(error) }, 500);
  });
  return app;
}
