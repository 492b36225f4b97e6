/**
 * Loads the committed WebAssembly kernels (built by `cpu/kernels/build.ts`), choosing the
 * relaxed-SIMD build when the engine validates `f32x4.relaxed_madd` and the plain SIMD128 build
 * otherwise.
 *
 * @module
 */

/** Which instruction set the loaded kernels use. */
export type SimdLevel = "relaxed-simd" | "simd128";

/** A compiled kernel module and the instruction set it uses. */
export interface KernelModule {
  module: WebAssembly.Module;
  simd: SimdLevel;
}

/** `(func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd)`. */
const RELAXED_PROBE = new Uint8Array([
  0x00,
  0x61,
  0x73,
  0x6d,
  0x01,
  0x00,
  0x00,
  0x00,
  0x01,
  0x08,
  0x01,
  0x60,
  0x03,
  0x7b,
  0x7b,
  0x7b,
  0x01,
  0x7b,
  0x03,
  0x02,
  0x01,
  0x00,
  0x0a,
  0x0d,
  0x01,
  0x0b,
  0x00,
  0x20,
  0x00,
  0x20,
  0x01,
  0x20,
  0x02,
  0xfd,
  0x85,
  0x02,
  0x0b,
]);

/** Whether this engine accepts relaxed-SIMD instructions. */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(RELAXED_PROBE);
}

const compiled = new Map<SimdLevel, Promise<WebAssembly.Module>>();

/**
 * Reads and compiles the kernels, once per process; `simd` forces a build (tests run both
 * where they can).
 */
export async function loadKernels(simd: SimdLevel = bestSimd()): Promise<KernelModule> {
  let module = compiled.get(simd);
  if (!module) {
    const file = simd === "relaxed-simd" ? "kernels_relaxed.wasm" : "kernels_simd.wasm";
    module = Deno.readFile(new URL(`./kernels/${file}`, import.meta.url))
      .then((bytes) => WebAssembly.compile(bytes));
    compiled.set(simd, module);
    module.catch(() => compiled.delete(simd));
  }
  return { module: await module, simd };
}

/** The best instruction set this engine runs. */
export function bestSimd(): SimdLevel {
  return hasRelaxedSimd() ? "relaxed-simd" : "simd128";
}
