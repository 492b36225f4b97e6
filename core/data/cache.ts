/**
 * A decoded-data cache: a split written as raw f32 arrays behind a small JSON header, so
 * a second run skips JSON parsing and gunzip. The header carries a key built from the
 * source files' paths, sizes and modification times; any mismatch or damage means the
 * cache is rebuilt.
 *
 * @module
 */

import { writeFileAtomic } from "../checkpoint/atomic.ts";
import type { Dataset, DatasetSplit } from "./dataset.ts";

const MAGIC = "gradmesh-data-cache-1";

interface Header {
  magic: string;
  key: string;
  name: string;
  parts: { count: number; sampleShape: number[]; classes: number }[];
}

/** A key for the current state of `files` (path, size, mtime each). */
export async function sourceKey(spec: string, files: readonly string[]): Promise<string> {
  const stats = await Promise.all(files.map(async (f) => {
    const s = await Deno.stat(f);
    return `${f}:${s.size}:${s.mtime?.getTime() ?? 0}`;
  }));
  return [spec, ...stats].join("|");
}

/** The cached split stored under `path` for `key`, or null when absent, stale or damaged. */
export async function readCache(path: string, key: string): Promise<DatasetSplit | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = view.getUint32(0, true);
    const header: Header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)),
    );
    if (header.magic !== MAGIC || header.key !== key || header.parts.length !== 2) return null;
    let offset = 4 + headerLength;
    const take = (n: number) => {
      const out = new Float32Array(n);
      new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + 4 * n));
      offset += 4 * n;
      return out;
    };
    const [train, test] = header.parts.map((p): Dataset => {
      const size = p.sampleShape.reduce((a, b) => a * b, 1);
      return { ...p, images: take(p.count * size), labels: take(p.count) };
    });
    return offset === bytes.length ? { name: header.name, train, test } : null;
  } catch {
    return null;
  }
}

/** Writes `split` to `path` under `key`, atomically. */
export async function writeCache(path: string, key: string, split: DatasetSplit): Promise<void> {
  const parts = [split.train, split.test];
  const header: Header = {
    magic: MAGIC,
    key,
    name: split.name,
    parts: parts.map((d) => ({
      count: d.count,
      sampleShape: [...d.sampleShape],
      classes: d.classes,
    })),
  };
  const head = new TextEncoder().encode(JSON.stringify(header));
  const arrays = parts.flatMap((d) => [d.images, d.labels]);
  const out = new Uint8Array(4 + head.length + arrays.reduce((n, a) => n + a.byteLength, 0));
  new DataView(out.buffer).setUint32(0, head.length, true);
  out.set(head, 4);
  let offset = 4 + head.length;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (dir) await Deno.mkdir(dir, { recursive: true });
  await writeFileAtomic(path, out);
}
