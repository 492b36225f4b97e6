/**
 * Test helper: kernels on one thread, with a function that copies a host array into their
 * memory (where their entry points read and write in place), ended after `fn`.
 *
 * @module
 */

import type { SimdLevel } from "../../cpu/kernels.ts";
import { WasmKernels } from "../../cpu/wasm_kernels.ts";

/** Runs `fn` with fresh one-thread kernels at `simd` (default: the best) and `held`. */
export async function withHeldKernels(
  simd: SimdLevel | undefined,
  fn: (kernels: WasmKernels, held: (x: Float32Array) => Float32Array) => void,
): Promise<void> {
  const kernels = await WasmKernels.create(1, simd, null);
  try {
    fn(kernels, (x) => {
      const a = kernels.persistentArray(x.length)!;
      a.set(x);
      return a;
    });
  } finally {
    kernels.destroy();
  }
}
