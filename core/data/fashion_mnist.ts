/**
 * Fashion-MNIST from Debian's `dataset-fashion-mnist`, and any directory holding the
 * four standard IDX files.
 *
 * @module
 */

import { DataFormatError } from "../errors.ts";
import type { DatasetSplit } from "./dataset.ts";
import { readIdxPair } from "./idx.ts";

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const NAMES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

async function find(dir: string, name: string, hint: string): Promise<string> {
  for (const candidate of [`${dir}/${name}.gz`, `${dir}/${name}`]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch { /* try the next name */ }
  }
  throw new DataFormatError(`${dir}/${name}[.gz]`, `not found${hint}`);
}

/**
 * Paths of the four standard IDX files in `dir` (train images, train labels, test images,
 * test labels), each raw or .gz; the first missing one is named in the error.
 */
export async function locateIdxFiles(dir: string, hint = ""): Promise<string[]> {
  const paths: string[] = [];
  for (const n of NAMES) paths.push(await find(dir, n, hint));
  return paths;
}

/** Loads `train-*` and `t10k-*` IDX files (raw or .gz) from `dir`. */
export async function loadIdxDir(
  dir: string,
  name = `idx:${dir}`,
  hint = "",
): Promise<DatasetSplit> {
  const [trainX, trainY, testX, testY] = await locateIdxFiles(dir, hint);
  return { name, train: await readIdxPair(trainX, trainY), test: await readIdxPair(testX, testY) };
}

/** Loads Fashion-MNIST (60,000 train / 10,000 test). */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): Promise<DatasetSplit> {
  return loadIdxDir(
    dir,
    "fashion-mnist",
    "; install it with: apt-get install dataset-fashion-mnist",
  );
}
