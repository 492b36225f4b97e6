/**
 * Gunzipping an IDX file without trusting the compressed stream: the IDX header at the
 * start of the decompressed bytes declares how many bytes follow, and decompression stops
 * as soon as the output passes that size (a gzip bomb costs at most the declared size plus
 * the output of one 4 KiB piece of input, about 4 MiB), and a header declaring more than
 * the limit on input files is refused outright.
 *
 * @module
 */

import { firstLine, MAX_INPUT_FILE_BYTES } from "../bounded_read.ts";
import { DataFormatError } from "../errors.ts";

/**
 * The IDX bytes that the gzip data `gz` holds, read no further than its header's declared
 * size (`parseIdx` then checks that they match it exactly). `path` names the file in the
 * {@link DataFormatError} for corrupt gzip data, a declared size over the limit, or more
 * bytes than declared.
 *
 * @example
 * ```ts
 * import { gunzipIdx } from "./idx_gzip.ts";
 * const raw = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
 * const gz = new Uint8Array(
 *   await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
 * );
 * console.log((await gunzipIdx(gz, "labels.gz")).length); // 10
 * ```
 */
export async function gunzipIdx(gz: Uint8Array, path: string): Promise<Uint8Array> {
  const inflate = new DecompressionStream("gzip");
  const reader = inflate.readable.getReader();
  const writer = inflate.writable.getWriter();
  // Small pieces in, so that each piece's output is small: deflate expands at most 1032:1.
  const feeding = (async () => {
    for (let at = 0; at < gz.length; at += INPUT_PIECE) {
      await writer.write(gz.subarray(at, at + INPUT_PIECE) as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  feeding.catch(() => {}); // its failure is the reader's, reported below
  const chunks: Uint8Array[] = [];
  let total = 0;
  let declared: number | null = null;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw new DataFormatError(path, `corrupt gzip data: ${firstLine(e)}`);
      }
      if (chunk.done) break;
      chunks.push(chunk.value);
      total += chunk.value.length;
      if (declared === null) {
        const head = headOf(chunks, total);
        // Not IDX: what is here is enough for parseIdx to say so.
        if (head.length >= 4 && (head[0] !== 0 || head[1] !== 0)) break;
        declared = declaredSize(head, path);
      }
      if (total > (declared ?? MAX_HEADER)) {
        throw new DataFormatError(
          path,
          `gzip data decompresses to more than the ${declared} bytes its IDX header declares`,
        );
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
    await writer.abort().catch(() => {});
  }
  return concat(chunks, total);
}

// Compressed bytes handed to the inflater at a time: at most about 4 MiB come out of each.
const INPUT_PIECE = 4096;

// The largest IDX header: magic, then up to 255 dimensions of 4 bytes.
const MAX_HEADER = 4 + 4 * 255;

/**
 * Header plus elements that the IDX header at the start of `head` declares; null until
 * `head` holds the whole header.
 */
function declaredSize(head: Uint8Array, path: string): number | null {
  if (head.length < 4) return null;
  const rank = head[3], headerLength = 4 + 4 * rank;
  if (head.length < headerLength) return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let size = 1;
  for (let i = 0; i < rank; i++) size *= view.getUint32(4 + 4 * i);
  if (headerLength + size > MAX_INPUT_FILE_BYTES) {
    throw new DataFormatError(
      path,
      `IDX header declares ${headerLength + size} bytes, more than the limit of ` +
        `${MAX_INPUT_FILE_BYTES} bytes`,
    );
  }
  return headerLength + size;
}

/** The first bytes decompressed, as many as an IDX header can take. */
function headOf(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks[0].length >= Math.min(total, MAX_HEADER)) return chunks[0];
  const head = new Uint8Array(Math.min(total, MAX_HEADER));
  let at = 0;
  for (const c of chunks) {
    if (at >= head.length) break;
    head.set(c.subarray(0, head.length - at), at);
    at += Math.min(c.length, head.length - at);
  }
  return head;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
