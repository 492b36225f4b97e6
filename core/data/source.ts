/**
 * `--data` specs to datasets: `mnist` (the bundled digits), `fashion-mnist` (Debian's
 * package), `idx:DIR`. Decoded splits are cached under `$GRADMESH_CACHE` (default
 * `.cache/gradmesh` in the working directory).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { readCache, sourceKey, writeCache } from "./cache.ts";
import type { DatasetSplit } from "./dataset.ts";
import {
  FASHION_MNIST_DIR,
  loadFashionMnist,
  loadIdxDir,
  locateIdxFiles,
} from "./fashion_mnist.ts";
import { loadMnistBundle } from "./mnist_bundle.ts";

interface Source {
  files: string[];
  load(): Promise<DatasetSplit>;
}

// The cache key needs the files; when one is missing the loader reports which.
const idxFiles = (dir: string) => locateIdxFiles(dir).catch(() => []);

async function resolve(spec: string): Promise<Source> {
  if (spec === "mnist") {
    const files = Array.from(
      { length: 10 },
      (_, d) => new URL(import.meta.resolve(`mnist/src/digits/${d}.json`)).pathname,
    );
    return { files, load: loadMnistBundle };
  }
  if (spec === "fashion-mnist") {
    return {
      files: await idxFiles(FASHION_MNIST_DIR),
      load: () => loadFashionMnist(),
    };
  }
  if (spec.startsWith("idx:") && spec.length > 4) {
    const dir = spec.slice(4);
    return { files: await idxFiles(dir), load: () => loadIdxDir(dir) };
  }
  throw new UsageError("--data", `expected mnist, fashion-mnist or idx:DIR, got "${spec}"`);
}

/** Directory of the decoded-data cache. */
export function cacheDir(): string {
  return Deno.env.get("GRADMESH_CACHE") ?? ".cache/gradmesh";
}

/** Loads the split named by `spec`, from the cache when it is current. */
export async function loadDataset(spec: string): Promise<DatasetSplit> {
  const source = await resolve(spec);
  let key: string | null = null;
  try {
    key = await sourceKey(spec, source.files);
  } catch { /* a missing source file: the loader says which */ }
  const path = `${cacheDir()}/${spec.replace(/[^A-Za-z0-9._-]+/g, "_")}.bin`;
  const cached = key ? await readCache(path, key) : null;
  if (cached) return cached;
  const split = await source.load();
  if (key) {
    await writeCache(path, key, split).catch(() => {/* a read-only cache only costs time */});
  }
  return split;
}
