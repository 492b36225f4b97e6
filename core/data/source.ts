/**
 * `--data` specs to datasets: `mnist` (the bundled digits, the default), `fashion-mnist`
 * (Debian's package), `idx:DIR` (the four standard IDX files in DIR), and `cifar10:DIR` and
 * `cifar100:DIR` (the binary versions of CIFAR, see `cifar.ts`). A decoded split
 * is cached (see `cache.ts`) and reused while its source files keep their sizes and
 * modification times.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { readCache, sourceKey, writeCache } from "./cache.ts";
import {
  cifar100Files,
  type Cifar100Label,
  cifar10Files,
  loadCifar10,
  loadCifar100,
} from "./cifar.ts";
import type { DatasetSplit } from "./dataset.ts";
import { fashionMnistFiles, idxDirFiles, loadFashionMnist, loadIdxDir } from "./fashion_mnist.ts";
import { loadMnistBundle, mnistBundleFiles } from "./mnist_bundle.ts";

/** How {@link loadDataset} uses the decoded-data cache. */
export interface LoadDatasetOptions {
  /** Cache directory; default `$GRADMESH_CACHE`, else `.cache/gradmesh` in the working directory. */
  readonly cacheDir?: string;
  /** `false` decodes the sources and neither reads nor writes the cache. Default `true`. */
  readonly cache?: boolean;
  /** CIFAR-100's labels: `fine` (100 classes, the default) or `coarse` (20 superclasses). */
  readonly label?: Cifar100Label;
}

interface Source {
  /** The files the split is decoded from; a missing one is reported here. */
  files: string[];
  decode(): Promise<DatasetSplit>;
  /** What the cache entry is named and keyed by, when more than the spec (CIFAR-100's label). */
  cacheName?: string;
}

async function resolveSource(spec: string, label: Cifar100Label): Promise<Source> {
  const cifar = spec.match(/^(cifar10|cifar100):(.+)$/);
  if (label === "coarse" && cifar?.[1] !== "cifar100") {
    throw new UsageError(
      "label",
      `coarse labels exist only for cifar100:DIR, got --data "${spec}"`,
    );
  }
  if (cifar?.[1] === "cifar10") {
    return { files: await cifar10Files(cifar[2]), decode: () => loadCifar10(cifar[2]) };
  }
  if (cifar?.[1] === "cifar100") {
    return {
      files: await cifar100Files(cifar[2]),
      decode: () => loadCifar100(cifar[2], label),
      cacheName: `${spec}:${label}`,
    };
  }
  if (spec === "mnist") return { files: mnistBundleFiles(), decode: loadMnistBundle };
  if (spec === "fashion-mnist") {
    return { files: await fashionMnistFiles(), decode: () => loadFashionMnist() };
  }
  if (spec.startsWith("idx:") && spec.length > "idx:".length) {
    const dir = spec.slice("idx:".length);
    return { files: await idxDirFiles(dir), decode: () => loadIdxDir(dir) };
  }
  throw new UsageError(
    "data",
    `expected mnist, fashion-mnist, idx:DIR, cifar10:DIR or cifar100:DIR, got "${spec}"`,
  );
}

/**
 * Loads the split named by `spec`: from the cache when it is current, else by decoding
 * the sources and then writing the cache (a cache that cannot be written only costs time
 * on the next run).
 *
 * @example
 * ```ts ignore
 * import { loadDataset } from "./source.ts";
 * const { train, test } = await loadDataset("mnist");
 * console.log(train.count, test.count); // 8000 2000
 * ```
 */
export async function loadDataset(
  spec = "mnist",
  options: LoadDatasetOptions = {},
): Promise<DatasetSplit> {
  const source = await resolveSource(spec, options.label ?? "fine");
  if (options.cache === false) return await source.decode();
  const dir = options.cacheDir ?? Deno.env.get("GRADMESH_CACHE") ?? ".cache/gradmesh";
  const name = source.cacheName ?? spec;
  const path = `${dir}/${name.replace(/[^A-Za-z0-9._-]+/g, "_")}.bin`;
  // A source file that cannot be stat'ed is left to the decoder, which names it.
  const key = await sourceKey(name, source.files).catch(() => null);
  if (key === null) return await source.decode();
  const cached = await readCache(path, key);
  if (cached) return cached;
  const split = await source.decode();
  await writeCache(path, key, split).catch(() => {});
  return split;
}
