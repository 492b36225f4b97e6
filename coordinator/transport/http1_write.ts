/**
 * Writing an HTTP/1.1 message to a connection: its head, then its body straight from the
 * caller's memory.
 *
 * @module
 */

/**
 * Bodies up to this size go out in one write with their head: one system call instead of
 * two, and no lone small segment for the peer to wait on. Larger ones are written from
 * where they lie, uncopied.
 */
export const COALESCE_BYTES = 64 * 1024;

async function writeAll(conn: Pick<Deno.Conn, "write">, bytes: Uint8Array): Promise<void> {
  // A write may take fewer bytes than it is given.
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/**
 * Writes `head` and then `body` to `conn`.
 *
 * @example
 * ```ts
 * import { writeMessage } from "./http1_write.ts";
 * const written: Uint8Array[] = [];
 * const conn = {
 *   write(bytes: Uint8Array) {
 *     written.push(bytes.slice());
 *     return Promise.resolve(bytes.length);
 *   },
 * };
 * const head = new TextEncoder().encode("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n");
 * await writeMessage(conn, head, new TextEncoder().encode("hi"));
 * written.length; // 1: a small body goes out with its head
 * ```
 */
export async function writeMessage(
  conn: Pick<Deno.Conn, "write">,
  head: Uint8Array,
  body?: Uint8Array,
): Promise<void> {
  if (body === undefined || body.length === 0) return writeAll(conn, head);
  if (body.length > COALESCE_BYTES) {
    await writeAll(conn, head);
    await writeAll(conn, body);
    return;
  }
  const message = new Uint8Array(head.length + body.length);
  message.set(head);
  message.set(body, head.length);
  await writeAll(conn, message);
}
