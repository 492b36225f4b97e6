/**
 * What the native link puts on a TCP connection. The connecting rank opens with a
 * handshake: `HELLO_MAGIC`, its rank and the job token (u32 length, then UTF-8), to which
 * the listening rank answers one u32, {@link HELLO_OK} or {@link HELLO_WRONG_TOKEN}. Then
 * frames flow one way, each a {@link FRAME_BYTES}-byte header followed by the chunk's
 * bytes, all little-endian:
 *
 * | offset | field  | type |
 * |---|---|---|
 * | 0  | magic: {@link FRAME_MAGIC}, or {@link BYE_MAGIC} for an orderly close | u32 |
 * | 4  | bucket | u32 |
 * | 8  | step   | u64 |
 * | 16 | chunk  | u32 |
 * | 20 | bytes of the body | u32 |
 *
 * The body is the chunk's 32-bit words as the HTTP route carries them: float32 values, or
 * two 16-bit values per word for `--grad-dtype fp16|bf16` (wire_dtype.ts); the bucket's
 * plan, which both ends share, says which.
 *
 * @module
 */

import type { ChunkKey } from "./link.ts";

/** "GMH1": the first word of a handshake. */
export const HELLO_MAGIC = 0x31484d47;
/** "GMF1": the first word of a chunk frame. */
export const FRAME_MAGIC = 0x31464d47;
/** "GMFE": the sender closes the connection on purpose; nothing follows. */
export const BYE_MAGIC = 0x45464d47;
/** The handshake's answer: token accepted. */
export const HELLO_OK = 0;
/** The handshake's answer: wrong job token. */
export const HELLO_WRONG_TOKEN = 1;
/** Bytes of a frame header. */
export const FRAME_BYTES = 24;
/** Bytes of a handshake before the token. */
export const HELLO_BYTES = 12;
/** The longest token a handshake may carry, so a stranger cannot make us allocate much. */
export const MAX_TOKEN_BYTES = 1024;

/** A decoded frame header: a chunk, or the sender's goodbye. */
export type FrameHead =
  | { readonly kind: "chunk"; readonly key: ChunkKey; readonly bytes: number }
  | { readonly kind: "bye" };

/**
 * Writes the header of the chunk `key` with `bytes` of body into `head`.
 *
 * @example
 * ```ts
 * import { encodeFrame, decodeFrame, FRAME_BYTES } from "./native_frame.ts";
 * const head = new Uint8Array(FRAME_BYTES);
 * encodeFrame(head, { step: 3, bucket: 1, chunk: 2 }, 8);
 * decodeFrame(head); // { kind: "chunk", key: { step: 3, bucket: 1, chunk: 2 }, bytes: 8 }
 * ```
 */
export function encodeFrame(head: Uint8Array, key: ChunkKey, bytes: number): void {
  const view = new DataView(head.buffer, head.byteOffset, FRAME_BYTES);
  view.setUint32(0, FRAME_MAGIC, true);
  view.setUint32(4, key.bucket, true);
  view.setBigUint64(8, BigInt(key.step), true);
  view.setUint32(16, key.chunk, true);
  view.setUint32(20, bytes, true);
}

/** The goodbye frame's header. */
export function byeFrame(): Uint8Array {
  const head = new Uint8Array(FRAME_BYTES);
  new DataView(head.buffer).setUint32(0, BYE_MAGIC, true);
  return head;
}

/** The header in `head`, or a message saying why it is none. */
export function decodeFrame(head: Uint8Array): FrameHead | string {
  const view = new DataView(head.buffer, head.byteOffset, FRAME_BYTES);
  const magic = view.getUint32(0, true);
  if (magic === BYE_MAGIC) return { kind: "bye" };
  if (magic !== FRAME_MAGIC) return `bad frame magic 0x${magic.toString(16)}`;
  const step = view.getBigUint64(8, true);
  if (step > BigInt(Number.MAX_SAFE_INTEGER)) return `step ${step} out of range`;
  const key = {
    step: Number(step),
    bucket: view.getUint32(4, true),
    chunk: view.getUint32(16, true),
  };
  return { kind: "chunk", key, bytes: view.getUint32(20, true) };
}

/**
 * The handshake rank `rank` opens a connection with.
 *
 * @example
 * ```ts
 * import { encodeHello, decodeHelloHead } from "./native_frame.ts";
 * const hello = encodeHello(2, "token");
 * decodeHelloHead(hello.subarray(0, 12)); // { rank: 2, tokenBytes: 5 }
 * ```
 */
export function encodeHello(rank: number, token: string): Uint8Array<ArrayBuffer> {
  const text = new TextEncoder().encode(token);
  const hello = new Uint8Array(HELLO_BYTES + text.byteLength);
  const view = new DataView(hello.buffer);
  view.setUint32(0, HELLO_MAGIC, true);
  view.setUint32(4, rank, true);
  view.setUint32(8, text.byteLength, true);
  hello.set(text, HELLO_BYTES);
  return hello;
}

/** The rank and token length a handshake's first {@link HELLO_BYTES} name, or why not. */
export function decodeHelloHead(
  head: Uint8Array,
): { rank: number; tokenBytes: number } | string {
  const view = new DataView(head.buffer, head.byteOffset, HELLO_BYTES);
  if (view.getUint32(0, true) !== HELLO_MAGIC) return "not a gradmesh native handshake";
  const tokenBytes = view.getUint32(8, true);
  if (tokenBytes > MAX_TOKEN_BYTES) {
    return `token of ${tokenBytes} bytes, at most ${MAX_TOKEN_BYTES}`;
  }
  return { rank: view.getUint32(4, true), tokenBytes };
}
