/**
 * Directories of the four standard IDX files (`train-images-idx3-ubyte`,
 * `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`, each
 * raw or `.gz`), and Fashion-MNIST as Debian's `dataset-fashion-mnist` installs them.
 *
 * @module
 */

import { DataFormatError } from "../errors.ts";
import type { DatasetSplit } from "./dataset.ts";
import { readIdxPair } from "./idx.ts";

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const INSTALL_HINT = "; install it with: apt-get install dataset-fashion-mnist";

const NAMES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
] as const;

/**
 * Paths of the four IDX files in `dir`: train images, train labels, test images, test
 * labels. A raw file is preferred to its `.gz` (nothing to decompress). A missing
 * directory or file is a {@link DataFormatError} naming it, with `hint` appended.
 *
 * @example
 * ```ts ignore
 * import { idxDirFiles } from "./fashion_mnist.ts";
 * const [trainImages] = await idxDirFiles("/usr/share/datasets/fashion-mnist");
 * console.log(trainImages); // ".../train-images-idx3-ubyte.gz"
 * ```
 */
export async function idxDirFiles(dir: string, hint = ""): Promise<string[]> {
  if (!(await isKind(dir, "isDirectory"))) {
    throw new DataFormatError(dir, `directory not found, expected the four IDX files${hint}`);
  }
  const paths: string[] = [];
  for (const name of NAMES) {
    const [raw, gz] = [`${dir}/${name}`, `${dir}/${name}.gz`];
    const path = (await isKind(raw, "isFile")) ? raw : gz;
    if (!(await isKind(path, "isFile"))) {
      throw new DataFormatError(`${dir}/${name}[.gz]`, `not found${hint}`);
    }
    paths.push(path);
  }
  return paths;
}

/** {@link idxDirFiles} for Fashion-MNIST: errors say how to install the package. */
export function fashionMnistFiles(dir = FASHION_MNIST_DIR): Promise<string[]> {
  return idxDirFiles(dir, INSTALL_HINT);
}

/**
 * Loads the four IDX files of `dir` (the `--data idx:DIR` source).
 *
 * @example
 * ```ts ignore
 * import { loadIdxDir } from "./fashion_mnist.ts";
 * const split = await loadIdxDir("data/mnist");
 * console.log(split.name, split.train.count); // idx:data/mnist 60000
 * ```
 */
export async function loadIdxDir(dir: string): Promise<DatasetSplit> {
  return readSplit(await idxDirFiles(dir), `idx:${dir}`);
}

/**
 * Loads Fashion-MNIST (60,000 train / 10,000 test, 10 classes) from `dir`.
 *
 * @example
 * ```ts ignore
 * import { loadFashionMnist } from "./fashion_mnist.ts";
 * const { train, test } = await loadFashionMnist();
 * console.log(train.count, test.count); // 60000 10000
 * ```
 */
export async function loadFashionMnist(dir = FASHION_MNIST_DIR): Promise<DatasetSplit> {
  return readSplit(await fashionMnistFiles(dir), "fashion-mnist");
}

async function readSplit(files: string[], name: string): Promise<DatasetSplit> {
  const [trainImages, trainLabels, testImages, testLabels] = files;
  // Both are read at once, but a failure is reported in file order, whichever came first.
  const [train, test] = await Promise.allSettled([
    readIdxPair(trainImages, trainLabels),
    readIdxPair(testImages, testLabels),
  ]);
  if (train.status === "rejected") throw train.reason;
  if (test.status === "rejected") throw test.reason;
  return { name, train: train.value, test: test.value };
}

/**
 * Whether `path` exists and is a file (`isFile`) or directory (`isDirectory`); false when
 * it does not exist, a {@link DataFormatError} naming it when it cannot be stat'ed.
 *
 * @example
 * ```ts
 * import { isKind } from "./fashion_mnist.ts";
 * console.log(await isKind("/nonexistent", "isFile")); // false
 * ```
 */
export async function isKind(path: string, kind: "isFile" | "isDirectory"): Promise<boolean> {
  try {
    return (await Deno.stat(path))[kind];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw new DataFormatError(path, `cannot access: ${(e as Error).message}`);
  }
}
