/**
 * The IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed: a magic number
 * (two zero bytes, an element type, the number of dimensions), one big-endian u32 per
 * dimension, then the elements in row-major order. Only unsigned bytes (type 0x08) are
 * read, which is what image and label files hold.
 *
 * @module
 */

import { MAX_INPUT_FILE_BYTES, readFileBounded } from "../bounded_read.ts";
import { DataFormatError } from "../errors.ts";
import { type Dataset, pixelsFromBytes } from "./dataset.ts";
import { gunzipIdx } from "./idx_gzip.ts";

/** A decoded IDX file of unsigned bytes. */
export interface IdxArray {
  /** Size of each dimension, outermost first. */
  readonly dims: number[];
  /** The elements, row-major. */
  readonly data: Uint8Array;
}

const UBYTE = 0x08;

/**
 * Decodes IDX bytes; `file` names the source in errors. The byte count must match the
 * header exactly; the error for a mismatch gives both counts and says which way it is off.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
 * console.log(parseIdx(bytes, "labels").dims); // [ 2 ]
 * ```
 */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length < 4) {
    throw new DataFormatError(
      file,
      `truncated IDX file: ${bytes.length} bytes, expected at least the 4-byte magic number`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataFormatError(
      file,
      `not an IDX file: magic number starts ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00`,
    );
  }
  if (bytes[2] !== UBYTE) {
    throw new DataFormatError(
      file,
      `IDX element type ${hex(bytes[2])} is not supported, expected 0x08 (unsigned byte)`,
    );
  }
  const rank = bytes[3];
  if (rank === 0) {
    throw new DataFormatError(file, "IDX header declares 0 dimensions, expected at least 1");
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
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
      `IDX size mismatch: ${bytes.length} bytes, expected ${expected} for dimensions ` +
        `[${dims.join(", ")}] (${bytes.length < expected ? "truncated" : "extra bytes"})`,
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}

/**
 * Reads and decodes an IDX file, gunzipping it first when it starts with the gzip magic
 * bytes (1f 8b) whatever its name.
 *
 * @example
 * ```ts ignore
 * import { readIdxFile } from "./idx.ts";
 * const labels = await readIdxFile("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
 * console.log(labels.dims); // [ 10000 ]
 * ```
 */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const fail = (message: string) => new DataFormatError(path, message);
  let bytes = await readFileBounded(path, MAX_INPUT_FILE_BYTES, "the IDX file", fail);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzipIdx(bytes, path);
  return parseIdx(bytes, path);
}

/**
 * Reads an images file (3 dimensions: count × rows × cols) and its labels file
 * (1 dimension: count) into a {@link Dataset} of shape [1, rows, cols] with pixels / 255.
 *
 * @example
 * ```ts ignore
 * import { readIdxPair } from "./idx.ts";
 * const dir = "/usr/share/datasets/fashion-mnist";
 * const test = await readIdxPair(`${dir}/t10k-images-idx3-ubyte.gz`, `${dir}/t10k-labels-idx1-ubyte.gz`);
 * console.log(test.count, test.sampleShape); // 10000 [ 1, 28, 28 ]
 * ```
 */
export async function readIdxPair(
  imagesPath: string,
  labelsPath: string,
  classes = 10,
): Promise<Dataset> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath), readIdxFile(labelsPath)]);
  if (images.dims.length !== 3) {
    throw new DataFormatError(
      imagesPath,
      `expected 3 dimensions (count, rows, cols), got [${images.dims.join(", ")}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new DataFormatError(
      labelsPath,
      `expected 1 dimension (count), got [${labels.dims.join(", ")}]`,
    );
  }
  const [count, rows, cols] = images.dims;
  if (count === 0) {
    throw new DataFormatError(imagesPath, "holds 0 images, expected at least 1 sample");
  }
  if (labels.dims[0] !== count) {
    throw new DataFormatError(
      labelsPath,
      `has ${labels.dims[0]} labels but ${imagesPath} has ${count} images, expected equal counts`,
    );
  }
  const bad = labels.data.findIndex((label) => label >= classes);
  if (bad >= 0) {
    throw new DataFormatError(
      labelsPath,
      `label ${labels.data[bad]} at index ${bad} is out of range, expected 0..${classes - 1}`,
    );
  }
  return {
    images: pixelsFromBytes(images.data),
    labels: Float32Array.from(labels.data),
    count,
    sampleShape: [1, rows, cols],
    classes,
  };
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
