/**
 * The decoded-data cache: a split stored as flat arrays behind a JSON header, so that a
 * second run skips JSON parsing, gunzip and byte-to-float conversion.
 *
 * Layout: a little-endian u32 header length, the JSON header (padded with spaces to a
 * multiple of 4 bytes), then for train and test: images, labels. Images whose every
 * value is some `byte / 255` (all IDX sources) are stored as those bytes, a quarter of
 * the f32 size; the rest as f32 in the machine's byte order (recorded in the format).
 * Each section is padded to 4 bytes. The header holds the source key and a checksum of
 * everything after it: a file that is stale, truncated or damaged reads as absent and is
 * rebuilt.
 *
 * @module
 */

import { writeFileAtomic } from "../checkpoint/atomic.ts";
import { type Dataset, type DatasetSplit, pixelsFromBytes, sampleSize } from "./dataset.ts";

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
// Bump the number whenever the layout or any loader's output changes, so old files go stale.
const FORMAT = `gradmesh-data-cache/2 ${LITTLE_ENDIAN ? "le" : "be"}`;

type ImageEncoding = "f32" | "pixel-bytes";

interface PartHeader {
  count: number;
  sampleShape: number[];
  classes: number;
  images: ImageEncoding;
}

interface Header {
  format: string;
  key: string;
  name: string;
  checksum: number;
  parts: PartHeader[];
}

/**
 * A key for the current state of a source: `spec` and each file's real path, size and
 * modification time. Throws if a file cannot be stat'ed.
 *
 * @example
 * ```ts
 * import { sourceKey } from "./cache.ts";
 * const file = await Deno.makeTempFile();
 * console.log((await sourceKey("idx:x", [file])).startsWith("idx:x|")); // true
 * ```
 */
export async function sourceKey(spec: string, files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (file) => {
    const [path, stat] = await Promise.all([Deno.realPath(file), Deno.stat(file)]);
    return `${path}:${stat.size}:${stat.mtime?.getTime() ?? 0}`;
  }));
  return [spec, ...parts].join("|");
}

/**
 * The split cached at `path` under `key`, or null when the file is absent, written for
 * another key or format, truncated or damaged. Sections are read straight into the
 * arrays returned, each owning its memory.
 *
 * @example
 * ```ts
 * import { readCache } from "./cache.ts";
 * console.log(await readCache("/nonexistent/cache.bin", "key")); // null
 * ```
 */
export async function readCache(path: string, key: string): Promise<DatasetSplit | null> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return null;
  }
  try {
    return await readOpenCache(file, key);
  } catch {
    return null; // short read, unparsable header or nonsense sizes: a damaged file
  } finally {
    file.close();
  }
}

async function readOpenCache(file: Deno.FsFile, key: string): Promise<DatasetSplit | null> {
  const { size } = await file.stat();
  const prefix = await readExactly(file, new Uint8Array(4));
  const headerLength = new DataView(prefix.buffer).getUint32(0, true);
  if (4 + headerLength > size) return null;
  const json = await readExactly(file, new Uint8Array(headerLength));
  const header: Header = JSON.parse(new TextDecoder().decode(json));
  if (header.format !== FORMAT || header.key !== key || header.parts.length !== 2) return null;
  const payload = header.parts.reduce(
    (n, p) => n + sectionBytes(p.count * sampleSize(p), p.images) + 4 * p.count,
    0,
  );
  if (4 + headerLength + payload !== size) return null;
  let hash = CHECKSUM_SEED;
  const section = async (n: number, encoding: ImageEncoding): Promise<Float32Array> => {
    if (encoding === "f32") {
      const values = new Float32Array(n);
      hash = checksum(hash, await readExactly(file, new Uint8Array(values.buffer)));
      return values;
    }
    const bytes = await readExactly(file, new Uint8Array(sectionBytes(n, encoding)));
    hash = checksum(hash, bytes);
    return pixelsFromBytes(bytes.subarray(0, n));
  };
  const datasets: Dataset[] = [];
  for (const part of header.parts) {
    datasets.push({
      images: await section(part.count * sampleSize(part), part.images),
      labels: await section(part.count, "f32"),
      count: part.count,
      sampleShape: part.sampleShape,
      classes: part.classes,
    });
  }
  if (hash !== header.checksum) return null;
  return { name: header.name, train: datasets[0], test: datasets[1] };
}

/**
 * Writes `split` to `path` under `key`, atomically (a temp file renamed into place), so a
 * concurrent reader sees the old file or the complete new one. Creates the directory.
 *
 * @example
 * ```ts
 * import { readCache, writeCache } from "./cache.ts";
 * const part = { images: new Float32Array(2), labels: new Float32Array(1), count: 1, sampleShape: [2], classes: 1 };
 * const path = `${await Deno.makeTempDir()}/c.bin`;
 * await writeCache(path, "k", { name: "tiny", train: part, test: part });
 * console.log((await readCache(path, "k"))?.name); // "tiny"
 * ```
 */
export async function writeCache(path: string, key: string, split: DatasetSplit): Promise<void> {
  const datasets = [split.train, split.test];
  const pixelBytes = datasets.map((d) => asPixelBytes(d.images));
  const sections = datasets.flatMap((
    d,
    i,
  ) => [pixelBytes[i] ?? bytesOf(d.images), bytesOf(d.labels)]);
  const header: Header = {
    format: FORMAT,
    key,
    name: split.name,
    checksum: sections.reduce(checksum, CHECKSUM_SEED),
    parts: datasets.map((d, i) => ({
      count: d.count,
      sampleShape: [...d.sampleShape],
      classes: d.classes,
      images: pixelBytes[i] ? "pixel-bytes" : "f32",
    })),
  };
  const json = JSON.stringify(header);
  const head = new TextEncoder().encode(json.padEnd(json.length + pad4(json.length)));
  const out = new Uint8Array(4 + head.length + sections.reduce((n, s) => n + s.length, 0));
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let offset = 4 + head.length;
  for (const s of sections) {
    out.set(s, offset);
    offset += s.length;
  }
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  await writeFileAtomic(path, out);
}

async function readExactly(file: Deno.FsFile, into: Uint8Array): Promise<Uint8Array> {
  for (let done = 0; done < into.length;) {
    const n = await file.read(into.subarray(done));
    if (n === null) throw new Error("unexpected end of file");
    done += n;
  }
  return into;
}

function bytesOf(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * The bytes (padded to 4) whose {@link pixelsFromBytes} is exactly `values`, or null when
 * some value is not a `byte / 255` (−0 included, which would come back as +0).
 */
function asPixelBytes(values: Float32Array): Uint8Array | null {
  const bytes = new Uint8Array(values.length + pad4(values.length));
  for (let i = 0; i < values.length; i++) {
    const v = values[i], byte = Math.round(v * 255);
    if (!(byte >= 0 && byte <= 255 && Math.fround(byte / 255) === v)) return null;
    if (v === 0 && Object.is(v, -0)) return null;
    bytes[i] = byte;
  }
  return bytes;
}

function sectionBytes(n: number, encoding: ImageEncoding): number {
  return encoding === "f32" ? 4 * n : n + pad4(n);
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

const CHECKSUM_SEED = 0x811c9dc5;

/**
 * Folds `bytes` (4-aligned and a multiple of 4 long, as every section is) into the running hash `h` word by word: a
 * multiplicative hash, enough to catch a damaged or torn file.
 */
function checksum(h: number, bytes: Uint8Array): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x9e3779b1);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
