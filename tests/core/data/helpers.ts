/**
 * Test helpers for the data layer: IDX bytes with a chosen header, gzip, a directory of the
 * four standard files, temporary directories, and an assertion for typed errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import { GradmeshError } from "../../../core/errors.ts";

/** IDX bytes: magic `00 00 type rank`, big-endian dims, then `data`. */
export function idxBytes(
  dims: readonly number[],
  data: ArrayLike<number>,
  type = 0x08,
): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** `bytes` gzip-compressed with the Web `CompressionStream`. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A tiny split's contents: `train` and `test` sample counts of `rows × cols` pixels. */
export interface TinySplit {
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

/** A split of `trainCount` / `testCount` 2×3 images with pixel values and labels from the index. */
export function tinySplit(trainCount = 5, testCount = 3): TinySplit {
  const images = (n: number, salt: number) =>
    idxBytes([n, 2, 3], Array.from({ length: n * 6 }, (_, i) => (i * 37 + salt) % 256));
  const labels = (n: number, salt: number) =>
    idxBytes([n], Array.from({ length: n }, (_, i) => (i + salt) % 10));
  return {
    trainImages: images(trainCount, 1),
    trainLabels: labels(trainCount, 2),
    testImages: images(testCount, 3),
    testLabels: labels(testCount, 4),
  };
}

/** Writes `split` into `dir` under the four standard names, gzipped when `gz`. */
export async function writeIdxDir(dir: string, split: TinySplit, gz: boolean): Promise<void> {
  const files: [string, Uint8Array][] = [
    ["train-images-idx3-ubyte", split.trainImages],
    ["train-labels-idx1-ubyte", split.trainLabels],
    ["t10k-images-idx3-ubyte", split.testImages],
    ["t10k-labels-idx1-ubyte", split.testLabels],
  ];
  for (const [name, bytes] of files) {
    await Deno.writeFile(`${dir}/${name}${gz ? ".gz" : ""}`, gz ? await gzip(bytes) : bytes);
  }
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-data-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Asserts that `fn` rejects with an instance of `type` whose message starts with `about`
 * (the file or flag it names), matches `pattern`, is one line, and carries `exitCode`.
 */
export async function assertRejectsWith(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => GradmeshError,
  about: string,
  pattern: RegExp,
  exitCode = 2,
): Promise<void> {
  await assert.rejects(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e}`);
    assert.ok(e.message.startsWith(`${about}: `), `"${e.message}" should start with "${about}: "`);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), `one line expected: ${e.message}`);
    assert.equal(e.exitCode, exitCode);
    return true;
  });
}

/**
 * This isolate's memory in bytes: the V8 heap and the buffers outside it. Not the resident
 * set, which counts the other test files that `deno test --parallel` runs in this process.
 */
export function isolateMemory(): number {
  const { heapUsed, external } = Deno.memoryUsage();
  return heapUsed + external;
}
