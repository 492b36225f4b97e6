/**
 * Reading HTTP/1.1 messages off a connection: heads through a small buffer, bodies
 * straight into the caller's memory, so a large body is copied once, by the kernel.
 *
 * @module
 */

import { Http1Error } from "./http1_head.ts";

/** Longest head accepted, and the size of the buffer heads are read through. */
export const MAX_HEAD_BYTES = 16 * 1024;

const CR = 13;
const LF = 10;

/**
 * A buffered reader of one connection. Bytes read past a head stay buffered for the
 * body or the next message.
 *
 * @example
 * ```ts
 * import { Http1Reader } from "./http1_reader.ts";
 * const message = new TextEncoder().encode("PUT / HTTP/1.1\r\ncontent-length: 2\r\n\r\nhi");
 * let sent = false;
 * // A connection that yields the message in one read, then ends.
 * const conn = {
 *   read(into: Uint8Array) {
 *     if (sent) return Promise.resolve(null);
 *     sent = true;
 *     into.set(message);
 *     return Promise.resolve(message.length);
 *   },
 * };
 * const reader = new Http1Reader(conn);
 * const head = await reader.readHead(); // the bytes up to and including "\r\n\r\n"
 * const body = new Uint8Array(2);
 * await reader.readFull(body); // true; body holds "hi"
 * ```
 */
export class Http1Reader {
  readonly #conn: Pick<Deno.Conn, "read">;
  readonly #buffer = new Uint8Array(MAX_HEAD_BYTES);
  #start = 0;
  #end = 0;

  constructor(conn: Pick<Deno.Conn, "read">) {
    this.#conn = conn;
  }

  /** Whether bytes are buffered that no message has claimed yet. */
  get buffered(): boolean {
    return this.#end > this.#start;
  }

  /**
   * The next head, up to and including the blank line that ends it; `null` when the
   * stream ends before its first byte. Throws an {@link Http1Error}: 431 for a head longer
   * than {@link MAX_HEAD_BYTES}, 400 for a line ended by a bare LF (which would otherwise
   * leave the head unended and the client unanswered); `Deno.errors.UnexpectedEof` for a
   * cut one.
   */
  async readHead(): Promise<Uint8Array | null> {
    if (!this.buffered) this.#start = this.#end = 0;
    let scanned = this.#start;
    for (;;) {
      const end = this.#findBlankLine(scanned);
      if (end >= 0) {
        const head = this.#buffer.slice(this.#start, end);
        this.#start = end;
        return head;
      }
      scanned = this.#end;
      if (this.#end - this.#start === this.#buffer.length) {
        throw new Http1Error(431, `head longer than ${MAX_HEAD_BYTES} bytes`);
      }
      if (this.#end === this.#buffer.length) {
        scanned -= this.#start;
        this.#compact();
      }
      const n = await this.#conn.read(this.#buffer.subarray(this.#end));
      if (n === null) {
        if (this.#end === this.#start) return null;
        throw new Deno.errors.UnexpectedEof("connection closed inside a head");
      }
      this.#end += n;
    }
  }

  /**
   * Fills `target`, buffered bytes first and then straight from the connection. Returns
   * `false` when the stream ends first; `target` then holds a part.
   */
  async readFull(target: Uint8Array): Promise<boolean> {
    let filled = this.#take(target);
    while (filled < target.length) {
      const n = await this.#conn.read(target.subarray(filled));
      if (n === null) return false;
      filled += n;
    }
    return true;
  }

  /**
   * Up to `max` bytes (at least one), or `null` at the end of the stream: for bodies
   * that are passed on in pieces rather than kept.
   */
  async readSome(max: number): Promise<Uint8Array<ArrayBuffer> | null> {
    if (!this.buffered) {
      this.#start = 0;
      const n = await this.#conn.read(this.#buffer);
      if (n === null) return null;
      this.#end = n;
    }
    const piece = new Uint8Array(Math.min(max, this.#end - this.#start));
    this.#take(piece);
    return piece;
  }

  #take(target: Uint8Array): number {
    const n = Math.min(target.length, this.#end - this.#start);
    target.set(this.#buffer.subarray(this.#start, this.#start + n));
    this.#start += n;
    return n;
  }

  #compact(): void {
    this.#buffer.copyWithin(0, this.#start, this.#end);
    this.#end -= this.#start;
    this.#start = 0;
  }

  /**
   * Index just past the "\r\n\r\n" that ends the head, looking at the bytes from `from`
   * on, or −1; throws on an LF without its CR.
   */
  #findBlankLine(from: number): number {
    const b = this.#buffer;
    for (let i = from; i < this.#end; i++) {
      if (b[i] !== LF) continue;
      if (i === this.#start || b[i - 1] !== CR) {
        throw new Http1Error(400, "line ended by a bare LF; HTTP/1.1 lines end with CRLF");
      }
      if (i - 3 >= this.#start && b[i - 2] === LF) return i + 1;
    }
    return -1;
  }
}
