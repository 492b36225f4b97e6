/**
 * CIFAR-10 and CIFAR-100 in their binary versions. A CIFAR-10 directory
 * (`cifar-10-batches-bin`) holds `data_batch_1.bin` … `data_batch_5.bin` and
 * `test_batch.bin`, records of a label byte and 3,072 pixel bytes; a CIFAR-100 directory
 * (`cifar-100-binary`) holds `train.bin` and `test.bin`, records of a coarse label byte, a
 * fine label byte and 3,072 pixel bytes. Pixels are three 32×32 planes, red, green, then
 * blue, each row-major: exactly the [3, 32, 32] layout of a sample, scaled to [0, 1] as
 * torchvision's `ToTensor` does.
 *
 * @module
 */

import { MAX_INPUT_FILE_BYTES, readFileBounded } from "../bounded_read.ts";
import { DataFormatError } from "../errors.ts";
import { type Dataset, type DatasetSplit, pixelsFromBytes } from "./dataset.ts";
import { isKind } from "./fashion_mnist.ts";

/** Which CIFAR-100 label a sample gets: one of 20 superclasses or one of 100 classes. */
export type Cifar100Label = "coarse" | "fine";

const SHAPE = [3, 32, 32] as const;
const PIXELS = 3 * 32 * 32;

/** How one kind of file lays out a record: label bytes first, with their class counts. */
interface RecordLayout {
  /** Name and class count of each leading label byte, in file order. */
  readonly labels: readonly { readonly name: string; readonly classes: number }[];
}

const CIFAR10: RecordLayout = { labels: [{ name: "label", classes: 10 }] };
const CIFAR100: RecordLayout = {
  labels: [{ name: "coarse label", classes: 20 }, { name: "fine label", classes: 100 }],
};

const CIFAR10_TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const CIFAR10_TEST = "test_batch.bin";

/**
 * Paths of the CIFAR-10 files in `dir`: the five training batches, then the test batch.
 * A missing directory or file is a {@link DataFormatError} naming it.
 *
 * @example
 * ```ts ignore
 * import { cifar10Files } from "./cifar.ts";
 * console.log((await cifar10Files("data/cifar-10-batches-bin")).length); // 6
 * ```
 */
export function cifar10Files(dir: string): Promise<string[]> {
  return existingFiles(dir, [...CIFAR10_TRAIN, CIFAR10_TEST]);
}

/**
 * Paths of the CIFAR-100 files in `dir`: `train.bin`, then `test.bin`. A missing
 * directory or file is a {@link DataFormatError} naming it.
 *
 * @example
 * ```ts ignore
 * import { cifar100Files } from "./cifar.ts";
 * console.log(await cifar100Files("data/cifar-100-binary")); // [ ".../train.bin", ".../test.bin" ]
 * ```
 */
export function cifar100Files(dir: string): Promise<string[]> {
  return existingFiles(dir, ["train.bin", "test.bin"]);
}

/**
 * Loads CIFAR-10 from `dir` (the `--data cifar10:DIR` source): 50,000 training and
 * 10,000 test samples of shape [3, 32, 32], 10 classes.
 *
 * @example
 * ```ts ignore
 * import { loadCifar10 } from "./cifar.ts";
 * const { train, test } = await loadCifar10("data/cifar-10-batches-bin");
 * console.log(train.count, test.count, train.sampleShape); // 50000 10000 [ 3, 32, 32 ]
 * ```
 */
export async function loadCifar10(dir: string): Promise<DatasetSplit> {
  const files = await cifar10Files(dir);
  const [train, test] = await Promise.all([
    readRecords(files.slice(0, CIFAR10_TRAIN.length), CIFAR10, 0),
    readRecords(files.slice(CIFAR10_TRAIN.length), CIFAR10, 0),
  ]);
  return { name: `cifar10:${dir}`, train, test };
}

/**
 * Loads CIFAR-100 from `dir` (the `--data cifar100:DIR` source) with its fine (100
 * classes, the default) or coarse (20 superclasses) labels: 50,000 training and 10,000
 * test samples of shape [3, 32, 32]. Both label bytes are checked whichever is used.
 *
 * @example
 * ```ts ignore
 * import { loadCifar100 } from "./cifar.ts";
 * const { train } = await loadCifar100("data/cifar-100-binary", "coarse");
 * console.log(train.classes); // 20
 * ```
 */
export async function loadCifar100(
  dir: string,
  label: Cifar100Label = "fine",
): Promise<DatasetSplit> {
  const [trainFile, testFile] = await cifar100Files(dir);
  const which = label === "coarse" ? 0 : 1;
  const [train, test] = await Promise.all([
    readRecords([trainFile], CIFAR100, which),
    readRecords([testFile], CIFAR100, which),
  ]);
  const name = `cifar100:${dir}${label === "coarse" ? " (coarse labels)" : ""}`;
  return { name, train, test };
}

/**
 * Decodes the records of `bytes` (one file's contents; `file` names it in errors) into
 * their pixel bytes and the label byte number `which` of `layout`, checking the size and
 * every label byte.
 */
function decodeRecords(
  bytes: Uint8Array,
  file: string,
  layout: RecordLayout,
  which: number,
): { pixels: Uint8Array; labels: Uint8Array } {
  const head = layout.labels.length, size = head + PIXELS;
  if (bytes.length === 0 || bytes.length % size !== 0) {
    throw new DataFormatError(
      file,
      `${bytes.length} bytes is ${
        bytes.length === 0 ? "empty" : "not a whole number of records"
      }, ` +
        `expected a positive multiple of ${size} (${head} label byte${head > 1 ? "s" : ""} ` +
        `+ ${PIXELS} pixel bytes per record)`,
    );
  }
  const count = bytes.length / size;
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const at = r * size;
    layout.labels.forEach(({ name, classes }, k) => {
      if (bytes[at + k] >= classes) {
        throw new DataFormatError(
          file,
          `${name} ${bytes[at + k]} of record ${r} is out of range, expected 0..${classes - 1}`,
        );
      }
    });
    labels[r] = bytes[at + which];
    pixels.set(bytes.subarray(at + head, at + size), r * PIXELS);
  }
  return { pixels, labels };
}

/** Reads `files` in order into one dataset (records concatenated). */
async function readRecords(
  files: readonly string[],
  layout: RecordLayout,
  which: number,
): Promise<Dataset> {
  const parts = await Promise.all(files.map(async (file) => {
    const fail = (message: string) => new DataFormatError(file, message);
    const bytes = await readFileBounded(file, MAX_INPUT_FILE_BYTES, "the CIFAR file", fail);
    return decodeRecords(bytes, file, layout, which);
  }));
  const count = parts.reduce((n, p) => n + p.labels.length, 0);
  const pixels = new Uint8Array(count * PIXELS);
  const labels = new Float32Array(count);
  let done = 0;
  for (const part of parts) {
    pixels.set(part.pixels, done * PIXELS);
    labels.set(part.labels, done);
    done += part.labels.length;
  }
  return {
    images: pixelsFromBytes(pixels),
    labels,
    count,
    sampleShape: SHAPE,
    classes: layout.labels[which].classes,
  };
}

async function existingFiles(dir: string, names: readonly string[]): Promise<string[]> {
  if (!(await isKind(dir, "isDirectory"))) {
    throw new DataFormatError(dir, `directory not found, expected ${names.join(", ")}`);
  }
  const paths = names.map((name) => `${dir}/${name}`);
  for (const path of paths) {
    if (!(await isKind(path, "isFile"))) throw new DataFormatError(path, "not found");
  }
  return paths;
}
