/**
 * The receiving end of a rank's ring links: a Hono app with one route,
 * `PUT /v1/ring/:step/:bucket/:chunk`, whose body is the chunk's floats in the host byte
 * order (little-endian on every platform Deno runs on). The sender's rank travels in the
 * {@link SENDER_HEADER} header, the job token in `authorization: Bearer <token>`.
 *
 * A request is checked before anything is kept: wrong or missing token → 401; malformed
 * step, bucket, chunk or sender → 400; a chunk that is not expected → 400; a body longer
 * than the chunk → 413, shorter or not whole floats → 400; a chunk already delivered →
 * 409. Only an accepted chunk (204) reaches the mailbox.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import type { ChunkKey } from "./link.ts";
import type { Mailbox } from "./mailbox.ts";
import { constantTimeEqual } from "./token.ts";

/** Header that carries the sending rank. */
export const SENDER_HEADER = "x-gradmesh-rank";

/** Options of {@link ringApp}. */
export interface RingAppOptions {
  /** The job token every request must carry. */
  readonly token: string;
  /**
   * Floats in the chunk that rank `from` sends under `key`, or `undefined` when no such
   * chunk is expected. For ring all-reduce: `RingPlan.chunkLength`.
   */
  readonly chunkLengthFor: (key: ChunkKey, from: number) => number | undefined;
}

/** Path of a chunk's route, relative to a rank's base URL. */
export function ringChunkPath(key: ChunkKey): string {
  return `/v1/ring/${key.step}/${key.bucket}/${key.chunk}`;
}

const parseCount = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
};

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
  const expected = `Bearer ${options.token}`;
  const app = new Hono();
  app.use(async (c, next) => {
    if (!constantTimeEqual(c.req.header("authorization") ?? "", expected)) {
      c.header("www-authenticate", "Bearer");
      return c.text("wrong or missing job token", 401);
    }
    await next();
  });
  app.put("/v1/ring/:step/:bucket/:chunk", async (c) => {
    const step = parseCount(c.req.param("step"));
    const bucket = parseCount(c.req.param("bucket"));
    const chunk = parseCount(c.req.param("chunk"));
    const from = parseCount(c.req.header(SENDER_HEADER));
    if (step === undefined || bucket === undefined || chunk === undefined) {
      return c.text("step, bucket and chunk must be non-negative integers", 400);
    }
    if (from === undefined) return c.text(`${SENDER_HEADER} must name the sending rank`, 400);
    const key = { step, bucket, chunk };
    const floats = options.chunkLengthFor(key, from);
    if (floats === undefined) return c.text(`no chunk ${chunk} expected from rank ${from}`, 400);
    const bytes = floats * Float32Array.BYTES_PER_ELEMENT;
    // A declared length settles it before the body is read; the body is checked again
    // because a declaration can lie.
    const declared = c.req.header("content-length");
    if (declared !== undefined && Number(declared) !== bytes) {
      return wrongSize(c, Number(declared), bytes);
    }
    const body = await c.req.arrayBuffer();
    if (body.byteLength !== bytes) return wrongSize(c, body.byteLength, bytes);
    const data = new Float32Array(body);
    if (!mailbox.deliver(from, key, data)) return c.text(`chunk ${chunk} already delivered`, 409);
    return c.body(null, 204);
  });
  return app;
}

const wrongSize = (c: Context, actual: number, expected: number): Response =>
  c.text(`body of ${actual} bytes, expected ${expected}`, actual > expected ? 413 : 400);
