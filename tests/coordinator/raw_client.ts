/**
 * A hand-driven TCP client for tests of the HTTP servers and the native endpoint: it
 * writes whatever bytes it is given, as fast or as slowly as told, and reads whatever
 * comes back until the server closes the connection; and the bytes of native frames.
 *
 * @module
 */

import { encodeFrame, FRAME_BYTES } from "../../coordinator/transport/native_frame.ts";

/** `parts` one after another. */
export const concat = (...parts: Uint8Array[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((part) => [...part]));

/** A native chunk frame's header; `step` may be past what a chunk key holds. */
export function frameHead(step: bigint, bucket: number, chunk: number, bytes: number): Uint8Array {
  const head = new Uint8Array(FRAME_BYTES);
  encodeFrame(head, { step: 0, bucket, chunk }, bytes);
  new DataView(head.buffer).setBigUint64(8, step, true);
  return head;
}

/** One raw connection to `port` on loopback. */
export class RawClient {
  readonly #conn: Deno.TcpConn;
  readonly #received: Uint8Array[] = [];
  #closed = false;
  /** Resolves with the time (`performance.now()`) the server closed the connection. */
  readonly closed: Promise<number>;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.closed = this.#readAll();
  }

  /** Connects; rejects as `Deno.connect` does. */
  static async open(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes `bytes` (a string is UTF-8); resolves `false` when the server closed first. */
  async write(bytes: Uint8Array | string): Promise<boolean> {
    const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
    try {
      for (let n = 0; n < data.length;) n += await this.#conn.write(data.subarray(n));
      return true;
    } catch {
      return false;
    }
  }

  /** Writes `text` one byte every `gapMs` until done or the server closes; whether all went. */
  async trickle(text: string, gapMs: number): Promise<boolean> {
    for (const byte of new TextEncoder().encode(text)) {
      if (this.#closed || !await this.write(Uint8Array.of(byte))) return false;
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return true;
  }

  /** Tells the server nothing more is coming (a half close). */
  async end(): Promise<void> {
    await this.#conn.closeWrite().catch(() => {});
  }

  /** Everything received so far, as text. */
  get text(): string {
    const all = new Uint8Array(this.#received.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const piece of this.#received) {
      all.set(piece, at);
      at += piece.length;
    }
    return new TextDecoder("latin1").decode(all);
  }

  /** The status codes of the responses received so far. */
  get statuses(): number[] {
    return [...this.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  }

  /** Closes this side. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch { /* closed already */ }
  }

  async #readAll(): Promise<number> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#received.push(buffer.slice(0, n));
      }
    } catch { /* reset or closed by us */ }
    const at = performance.now();
    this.close();
    return at;
  }
}

/** Resolves with whether `promise` settled within `ms`. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  const result = await Promise.race([promise.then(() => true, () => true), late]);
  clearTimeout(timer);
  return result;
}
