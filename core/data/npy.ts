/**
 * NumPy `.npy` arrays (format versions 1–3): little-endian float32, float64 or integer
 * data in C order, 1-D or 2-D, read as f32. A file that is not such an array is one
 * {@link DataFormatError} naming the file and the header field.
 *
 * @module
 */

import { MAX_INPUT_FILE_BYTES, readFileBounded } from "../bounded_read.ts";
import { DataFormatError } from "../errors.ts";

/** An array read from a `.npy` file. */
export interface NpyArray {
  /** The header's shape: `[n]` or `[rows, columns]`. */
  readonly shape: readonly number[];
  /** The elements in C (row-major) order, converted to f32. */
  readonly data: Float32Array;
}

// dtype → bytes per element and the reader of one element.
const DTYPES: Record<string, [number, (v: DataView, at: number) => number]> = {
  "<f4": [4, (v, at) => v.getFloat32(at, true)],
  "<f8": [8, (v, at) => v.getFloat64(at, true)],
  "|i1": [1, (v, at) => v.getInt8(at)],
  "|u1": [1, (v, at) => v.getUint8(at)],
  "<i2": [2, (v, at) => v.getInt16(at, true)],
  "<i4": [4, (v, at) => v.getInt32(at, true)],
  "<i8": [8, (v, at) => Number(v.getBigInt64(at, true))],
};

const MAGIC = [0x93, ..."NUMPY"].map((c) => typeof c === "number" ? c : c.charCodeAt(0));

/** One `'key': value` entry of the header's dictionary literal, or null when absent. */
function headerField(header: string, key: string): string | null {
  const m = header.match(new RegExp(`['"]${key}['"]\\s*:\\s*('[^']*'|"[^"]*"|\\([^)]*\\)|\\w+)`));
  return m ? m[1] : null;
}

/**
 * Parses the bytes of a `.npy` file (named `file` in errors).
 *
 * @example
 * ```ts
 * import { parseNpy } from "./npy.ts";
 * const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }".padEnd(117) + "\n";
 * const bytes = new Uint8Array(128 + 8);
 * bytes.set([0x93, 78, 85, 77, 80, 89, 1, 0, 118, 0]);
 * bytes.set(new TextEncoder().encode(header), 10);
 * new DataView(bytes.buffer).setFloat32(128, 1.5, true);
 * console.log(parseNpy(bytes, "a.npy").data); // Float32Array(2) [ 1.5, 0 ]
 * ```
 */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const fail = (msg: string) => new DataFormatError(file, msg);
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw fail("not a NumPy .npy file (no \\x93NUMPY magic)");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3) throw fail(`format version ${major}: expected 1, 2 or 3`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw fail("truncated header");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) throw fail("truncated header");
  const header = new TextDecoder().decode(bytes.subarray(headerStart, dataStart));
  const descr = headerField(header, "descr")?.slice(1, -1);
  const dtype = descr === undefined ? undefined : DTYPES[descr.replace(/^=/, "<")];
  if (!dtype) {
    throw fail(
      `header field 'descr': expected one of ${Object.keys(DTYPES).join(", ")} ` +
        `(little-endian float or int), got ${descr === undefined ? "none" : `'${descr}'`}`,
    );
  }
  const order = headerField(header, "fortran_order");
  if (order !== "False") {
    throw fail(`header field 'fortran_order': expected False (C order), got ${order ?? "none"}`);
  }
  const shapeText = headerField(header, "shape");
  const dims = shapeText?.slice(1, -1).split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!dims || dims.some((d) => !/^\d+$/.test(d)) || dims.length < 1 || dims.length > 2) {
    throw fail(
      `header field 'shape': expected a 1-D or 2-D shape such as (1000, 2), got ${
        shapeText ?? "none"
      }`,
    );
  }
  const shape = dims.map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const [size, read] = dtype;
  if (bytes.length - dataStart !== count * size) {
    throw fail(
      `header field 'shape': (${dims.join(", ")}) of ${descr} needs ${count * size} data bytes, ` +
        `the file holds ${bytes.length - dataStart}`,
    );
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = read(view, dataStart + i * size);
  return { shape, data };
}

/** Reads `file` (at most 1 GiB, `MAX_INPUT_FILE_BYTES`) and parses it with {@link parseNpy}. */
export async function loadNpy(file: string): Promise<NpyArray> {
  const fail = (message: string) => new DataFormatError(file, message);
  return parseNpy(await readFileBounded(file, MAX_INPUT_FILE_BYTES, "the .npy file", fail), file);
}
