/**
 * The safetensors file format (https://huggingface.co/docs/safetensors), float32 only:
 * an 8-byte little-endian header length N, N bytes of UTF-8 JSON header padded with
 * spaces to a multiple of 8, then the raw little-endian tensor bytes, contiguous and in
 * header order. Files written here load with PyTorch's `safetensors.torch.load_file`.
 *
 * Tensor bytes are copied as the host lays out a `Float32Array`; every platform Deno runs
 * on is little-endian, as the format requires.
 *
 * @module
 */

import { CheckpointError, GradmeshError, ShapeError } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import type { NamedTensor } from "./named_tensor.ts";

/** The contents of a safetensors file: tensors in file order, and `__metadata__`. */
export interface Safetensors {
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

const METADATA_KEY = "__metadata__";
const HEADER_ALIGN = 8;
const F32_BYTES = 4;
/** The safetensors format's own bound on the JSON header (100 MB), as its reference reader applies. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Serialises `tensors` (in the given order) and string `metadata` to safetensors bytes.
 * Throws when a name repeats or is `__metadata__`, or when data does not fit its shape.
 *
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors([{ name: "w", shape: [2], data: new Float32Array([1, 2]) }], {});
 * console.log(decodeSafetensors(bytes, "mem").tensors.get("w")?.data); // Float32Array [1, 2]
 * ```
 */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = { [METADATA_KEY]: metadata };
  let dataBytes = 0;
  for (const t of tensors) {
    if (Object.hasOwn(header, t.name)) {
      throw new GradmeshError(`encodeSafetensors: tensor name "${t.name}" is repeated or reserved`);
    }
    if (!t.shape.every(isCount) || t.data.length !== sizeOf(t.shape)) {
      throw new ShapeError(
        "encodeSafetensors",
        `tensor "${t.name}" has shape [${t.shape}] but ${t.data.length} values`,
      );
    }
    const end = dataBytes + t.data.byteLength;
    header[t.name] = { dtype: "F32", shape: t.shape, data_offsets: [dataBytes, end] };
    dataBytes = end;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / HEADER_ALIGN) * HEADER_ALIGN;
  const out = new Uint8Array(8 + headerBytes + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let pos = 8 + headerBytes;
  for (const { data } of tensors) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    pos += data.byteLength;
  }
  return out;
}

/**
 * Parses safetensors `bytes`, validating the header length (at most 100 MB), the JSON, every dtype, shape
 * and offset, and that the tensors tile the data exactly. Any problem throws a
 * {@link CheckpointError} naming `file` and what was wrong.
 *
 * @example
 * ```ts
 * import { decodeSafetensors } from "./safetensors.ts";
 * try {
 *   decodeSafetensors(new Uint8Array(3), "model.safetensors");
 * } catch (e) {
 *   console.log((e as Error).message); // model.safetensors: file is 3 bytes, ...
 * }
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, file: string): Safetensors {
  const fail = (message: string) => new CheckpointError(file, message);
  if (bytes.length < 8) {
    throw fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  const declared = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw fail(`header length ${declared} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (declared > BigInt(bytes.length - 8)) {
    throw fail(
      `header length ${declared} exceeds the ${bytes.length - 8} bytes after it (truncated?)`,
    );
  }
  const dataStart = 8 + Number(declared);
  const header = parseHeader(bytes.subarray(8, dataStart), fail);
  const metadata = parseMetadata(header[METADATA_KEY], fail);
  const dataBytes = bytes.length - dataStart;
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => parseEntry(name, info, dataBytes, fail))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.begin !== covered) {
      const problem = e.begin < covered
        ? "overlaps the tensor before it"
        : "leaves a gap before it";
      throw fail(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] ${problem}`);
    }
    covered = e.end;
  }
  if (covered !== dataBytes) {
    throw fail(`${dataBytes - covered} bytes after the last tensor belong to no tensor`);
  }
  const tensors = new Map(entries.map((e) => {
    const copy = bytes.slice(dataStart + e.begin, dataStart + e.end);
    return [e.name, { shape: e.shape, data: new Float32Array(copy.buffer) }];
  }));
  return { tensors, metadata };
}

type Fail = (message: string) => CheckpointError;

interface Entry {
  name: string;
  shape: number[];
  begin: number;
  end: number;
}

function parseHeader(bytes: Uint8Array, fail: Fail): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    throw fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (bytes[0] !== 0x7b || !isRecord(header)) {
    throw fail("header must be a JSON object starting with '{'");
  }
  return header;
}

function parseMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
    throw fail(`${METADATA_KEY} must be an object of string values`);
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, info: unknown, dataBytes: number, fail: Fail): Entry {
  const where = `tensor "${name}"`;
  if (!isRecord(info)) throw fail(`${where}: expected {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info;
  if (dtype !== "F32") {
    throw fail(`${where}: unsupported dtype ${JSON.stringify(dtype)} (expected "F32")`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    throw fail(`${where}: shape must be a list of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw fail(`${where}: data_offsets must be [begin, end] in bytes`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataBytes) {
    throw fail(
      `${where}: data_offsets [${begin}, ${end}] out of range of the ${dataBytes} data bytes (truncated?)`,
    );
  }
  const expected = sizeOf(shape) * F32_BYTES;
  if (end - begin !== expected) {
    throw fail(`${where}: shape [${shape}] needs ${expected} bytes, offsets span ${end - begin}`);
  }
  return { name, shape, begin, end };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
