/**
 * The IDX format of MNIST and Fashion-MNIST (raw or gzip-compressed): a magic number
 * giving the element type and rank, big-endian dimensions, then the data.
 *
 * @module
 */

import { DataFormatError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";

/** A decoded IDX file of unsigned bytes. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

/** Decodes IDX bytes; `file` names the source in errors. Only the ubyte type is accepted. */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new DataFormatError(
      file,
      `truncated IDX file: ${bytes.length} bytes, expected a 4-byte magic number`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(
      file,
      `not an IDX file: magic starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00`,
    );
  }
  if (bytes[2] !== UBYTE) {
    throw new DataFormatError(
      file,
      `IDX element type ${hex(bytes[2])} is not supported, expected 0x08 (unsigned byte)`,
    );
  }
  const rank = bytes[3];
  const headerLength = 4 + 4 * rank;
  if (rank < 1 || bytes.length < headerLength) {
    throw new DataFormatError(
      file,
      `truncated IDX header: ${bytes.length} bytes, expected ${headerLength} for ${rank} dimensions`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = headerLength + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw new DataFormatError(
      file,
      `IDX size mismatch: ${bytes.length} bytes, expected ${expected} for dimensions [${dims}]`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/** Reads and decodes an IDX file, gunzipping it when it starts with the gzip magic. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new DataFormatError(path, `cannot read: ${(e as Error).message}`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes, path);
  return parseIdx(bytes, path);
}

async function gunzip(bytes: Uint8Array, path: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataFormatError(path, `corrupt gzip data: ${(e as Error).message}`);
  }
}

/** Reads an images file (rank 3: count × rows × cols) and its labels file into a Dataset. */
export async function readIdxPair(
  imagesPath: string,
  labelsPath: string,
  classes = 10,
): Promise<Dataset> {
  const images = await readIdxFile(imagesPath);
  const labels = await readIdxFile(labelsPath);
  if (images.dims.length !== 3) {
    throw new DataFormatError(
      imagesPath,
      `expected 3 dimensions (count, rows, cols), got [${images.dims}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataFormatError(labelsPath, `expected 1 dimension (count), got [${labels.dims}]`);
  }
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) {
    throw new DataFormatError(
      labelsPath,
      `has ${labels.dims[0]} labels but ${imagesPath} has ${count} images`,
    );
  }
  const bad = labels.data.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new DataFormatError(
      labelsPath,
      `label ${labels.data[bad]} at index ${bad} is out of range, expected 0..${classes - 1}`,
    );
  }
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return {
    images: pixels,
    labels: Float32Array.from(labels.data),
    count,
    sampleShape: [1, rows, cols],
    classes,
  };
}

function hex(b: number | undefined): string {
  return `0x${(b ?? 0).toString(16).padStart(2, "0")}`;
}
