/**
 * The WebGPU backend that a tests/gpu file runs on, created once per file, and how to
 * register a test that needs it. Without an adapter the backend is null, the reason is
 * printed, and every test registered through it is ignored.
 *
 * @module
 */

import { createWebGpuBackend, type WebGpuBackend } from "../../gpu/backend.ts";
import { GpuUnavailableError } from "../../gpu/device.ts";

/** The backend of one test file, and its test registration. */
export interface GpuUnderTest {
  /** The backend; null when no adapter was found. */
  gpu: WebGpuBackend | null;
  /**
   * Registers the test `webgpu: <name>`, which runs `fn` on the backend and ends the step
   * afterwards whatever happened; ignored without a backend.
   */
  test(name: string, fn: (gpu: WebGpuBackend) => Promise<void> | void): void;
}

/** Creates the backend for the test file `file` and logs whether its GPU tests run. */
export async function gpuUnderTest(file: string): Promise<GpuUnderTest> {
  const { gpu, reason } = await probe();
  console.log(`${file}: webgpu ${gpu ? "runs" : "skipped"} (${reason})`);
  const test = (name: string, fn: (gpu: WebGpuBackend) => Promise<void> | void) =>
    Deno.test({
      name: `webgpu: ${name}`,
      ignore: gpu === null,
      async fn() {
        try {
          await fn(gpu!);
        } finally {
          gpu!.endStep();
        }
      },
    });
  return { gpu, test };
}

async function probe(): Promise<{ gpu: WebGpuBackend | null; reason: string }> {
  try {
    const backend = await createWebGpuBackend();
    return { gpu: backend, reason: `adapter: ${backend.description}` };
  } catch (e) {
    if (e instanceof GpuUnavailableError) return { gpu: null, reason: e.message };
    throw e;
  }
}
