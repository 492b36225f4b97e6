/**
 * A synthetic CIFAR-10 set in the real binary format, for tests and acceptance runs of the
 * convolutional models (no CIFAR download exists here).
 *
 * @module
 */

/**
 * Writes a CIFAR-10 binary set (`data_batch_1..5.bin`, `test_batch.bin`) of `train` and
 * `test` images into `path`, where each class sets a colour and a stripe period, plus noise:
 * learnable, and deterministic. `train` must be a multiple of 5.
 */
export async function writeSyntheticCifar10(
  path: string,
  train: number,
  test: number,
): Promise<void> {
  await Deno.mkdir(path, { recursive: true });
  let state = 12345;
  const noise = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const records = (count: number) => {
    const bytes = new Uint8Array(count * 3073);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      bytes[i * 3073] = label;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) {
          const stripe = Math.floor((p % 32) / (label + 2)) % 2;
          const base = 60 + 40 * ((label >> c) & 1) + 70 * stripe;
          bytes[i * 3073 + 1 + c * 1024 + p] = Math.min(255, base + 60 * noise());
        }
      }
    }
    return bytes;
  };
  const perBatch = train / 5;
  for (let b = 1; b <= 5; b++) {
    await Deno.writeFile(`${path}/data_batch_${b}.bin`, records(perBatch));
  }
  await Deno.writeFile(`${path}/test_batch.bin`, records(test));
}
