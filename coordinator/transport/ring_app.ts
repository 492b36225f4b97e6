/**
 * The receiving end of a rank's ring links: a Hono app with one route,
 * `PUT /v1/ring/:step/:bucket/:chunk`, whose body is the chunk's floats in the host byte
 * order (little-endian on every platform Deno runs on). The sender's rank travels in the
 * {@link SENDER_HEADER} header, the job token in `authorization: Bearer <token>`.
 *
 * A request is checked before anything is kept: wrong or missing token → 401; malformed
 * step, bucket, chunk or sender → 400; a chunk that is not expected → 400; a step this
 * rank has left behind → 409; a step more than {@link STEP_WINDOW} ahead of it → 503, which
 * the sender retries; a body longer than the chunk → 413, shorter or not whole floats →
 * 400; a chunk already delivered → 409. Only an accepted chunk (204) reaches the mailbox,
 * so the memory held for chunks that came early is bounded by one step window.
 *
 * Every check that can be made before the body is read lives in
 * {@link checkChunkRequest}, which the app and the socket server of `ring_server.ts` both
 * call, so a chunk is accepted by the same rules whichever of them reads it.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { ChunkKey } from "./link.ts";
import { type Mailbox, STEP_WINDOW } from "./mailbox.ts";
import { hasJobToken } from "./token.ts";

/** Header that carries the sending rank. */
export const SENDER_HEADER = "x-gradmesh-rank";

/** Options of {@link ringApp}. */
export interface RingAppOptions {
  /** The job token every request must carry. */
  readonly token: string;
  /**
   * Floats in the chunk that rank `from` sends under `key`, `undefined` when no such
   * chunk is expected, or `null` while this rank does not know yet (it is still laying out
   * its gradient): the sender is told to retry. For ring all-reduce: `RingPlan.chunkLength`.
   */
  readonly chunkLengthFor: (key: ChunkKey, from: number) => number | undefined | null;
}

/** Path of a chunk's route, relative to a rank's base URL. */
export function ringChunkPath(key: ChunkKey): string {
  return `/v1/ring/${key.step}/${key.bucket}/${key.chunk}`;
}

/** A chunk request that passed every check that can be made before its body is read. */
export interface AcceptedChunk {
  readonly ok: true;
  /** The chunk the path names. */
  readonly key: ChunkKey;
  /** The sending rank. */
  readonly from: number;
  /** Bytes the body must have. */
  readonly bytes: number;
}

/** A chunk request refused before its body is read: the HTTP status and why. */
export interface RefusedChunk {
  readonly ok: false;
  readonly status: 400 | 401 | 404 | 409 | 413 | 503;
  readonly message: string;
}

const ROUTE = /^\/v1\/ring\/([^/]+)\/([^/]+)\/([^/]+)$/;

const parseCount = (text: string | null | undefined): number | undefined => {
  if (typeof text !== "string" || !/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
};

const refused = (status: RefusedChunk["status"], message: string): RefusedChunk => ({
  ok: false,
  status,
  message,
});

const unauthorized = refused(401, "wrong or missing job token");

/** The 503 message of a rank that does not know its chunks yet; senders retry on it. */
export const NOT_READY = "not ready: this rank is still laying out its gradient";

/** Header fields as far as the checks read them: `Headers`, or a lighter stand-in. */
export type FieldReader = Pick<Headers, "get">;

/** Why a body of `actual` bytes is refused where `expected` are due. */
function wrongSize(actual: number, expected: number): RefusedChunk {
  return refused(actual > expected ? 413 : 400, `body of ${actual} bytes, expected ${expected}`);
}

/**
 * Judges a chunk request by everything but its body: the job token first (so a caller
 * without it learns nothing else), then method and path, step, bucket, chunk and sender,
 * whether that chunk is expected, whether its step is in `mailbox`'s window, and the
 * declared `content-length` when there is one.
 * `path` excludes the query string. An accepted request still needs a body of exactly
 * `bytes` bytes and a free mailbox slot.
 *
 * @example
 * ```ts
 * import { Mailbox } from "./mailbox.ts";
 * import { checkChunkRequest } from "./ring_app.ts";
 * const options = { token: "t", chunkLengthFor: () => 2 };
 * const headers = new Headers({ authorization: "Bearer t", "x-gradmesh-rank": "1" });
 * checkChunkRequest("PUT", "/v1/ring/0/0/3", headers, options, new Mailbox());
 * // { ok: true, key: { step: 0, bucket: 0, chunk: 3 }, from: 1, bytes: 8 }
 * ```
 */
export function checkChunkRequest(
  method: string,
  path: string,
  headers: FieldReader,
  options: RingAppOptions,
  mailbox: Mailbox,
): AcceptedChunk | RefusedChunk {
  if (!hasJobToken(headers, options.token)) return unauthorized;
  const route = ROUTE.exec(path);
  if (method !== "PUT" || route === null) return refused(404, `no route ${method} ${path}`);
  const [step, bucket, chunk] = route.slice(1).map(parseCount);
  if (step === undefined || bucket === undefined || chunk === undefined) {
    return refused(400, "step, bucket and chunk must be non-negative integers");
  }
  const from = parseCount(headers.get(SENDER_HEADER));
  if (from === undefined) return refused(400, `${SENDER_HEADER} must name the sending rank`);
  const key = { step, bucket, chunk };
  const floats = options.chunkLengthFor(key, from);
  if (floats === null) return refused(503, NOT_READY);
  if (floats === undefined) return refused(400, `no chunk ${chunk} expected from rank ${from}`);
  const when = mailbox.timing(from, key);
  if (when === "late") {
    return refused(409, `step ${step} is over: this rank is at step ${mailbox.step}`);
  }
  if (when === "early") {
    return refused(
      503,
      `step ${step} is more than ${STEP_WINDOW} ahead of this rank's step ${mailbox.step}`,
    );
  }
  const bytes = floats * Float32Array.BYTES_PER_ELEMENT;
  const declared = headers.get("content-length");
  if (declared !== null && Number(declared) !== bytes) return wrongSize(Number(declared), bytes);
  return { ok: true, key, from, bytes };
}

/**
 * Creates the app that delivers authenticated, size-checked chunks into `mailbox`.
 *
 * @example Testing a route in-process
 * ```ts
 * import { Mailbox } from "./mailbox.ts";
 * import { ringApp } from "./ring_app.ts";
 * const app = ringApp(new Mailbox(), { token: "t", chunkLengthFor: () => 2 });
 * const res = await app.request("/v1/ring/0/0/0", { method: "PUT" });
 * res.status; // 401
 * ```
 */
export function ringApp(mailbox: Mailbox, options: RingAppOptions): Hono {
  const app = new Hono();
  const refuse = (c: Context, { status, message }: RefusedChunk) => {
    if (status === 401) c.header("www-authenticate", "Bearer");
    return c.text(message, status);
  };
  // Every path, not only the ring route, is closed to callers without the token.
  app.use(async (c, next) => {
    if (!hasJobToken(c.req.raw.headers, options.token)) return refuse(c, unauthorized);
    await next();
  });
  app.put("/v1/ring/:step/:bucket/:chunk", async (c) => {
    const check = checkChunkRequest(c.req.method, c.req.path, c.req.raw.headers, options, mailbox);
    if (!check.ok) return refuse(c, check);
    // A declared length was judged above; the body is measured again because a
    // transport other than HTTP/1.1 framing may not hold the sender to its declaration.
    const body = await c.req.arrayBuffer();
    if (body.byteLength !== check.bytes) return refuse(c, wrongSize(body.byteLength, check.bytes));
    if (!mailbox.deliver(check.from, check.key, new Float32Array(body))) {
      return c.text(`chunk ${check.key.chunk} already delivered`, 409);
    }
    return c.body(null, 204);
  });
  // Answered without a trace on the console: a body the client cut off is its fault.
  app.onError((error, c) => c.text(`cannot read the request: ${error.message}`, 400));
  return app;
}
