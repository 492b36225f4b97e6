import { createCpuBackend } from "../../core/cpu/backend.ts";
import { assertClose } from "../core/asserts.ts";
import { backendsUnderTest } from "../core/backends.ts";

const webgpu = (await backendsUnderTest()).find((b) => b.name === "webgpu")!;

Deno.test({
  name: "webgpu reduce: axes longer than one thread's chunk, and than 65,535, match the CPU",
  ignore: !webgpu.create,
  async fn() {
    const gpu = await webgpu.create!();
    const cpu = createCpuBackend();
    for (const [outer, len, inner] of [[1, 70_000, 1], [2, 9_000, 3], [1, 4_097, 2], [3, 5, 7]]) {
      const data = Float32Array.from({ length: outer * len * inner }, (_, i) => Math.sin(i) + 0.5);
      for (const op of ["sum", "max"] as const) {
        const want = await cpu.read(cpu.reduce({ op, x: cpu.upload(data), outer, len, inner }));
        const got = await gpu.read(gpu.reduce({ op, x: gpu.upload(data), outer, len, inner }));
        assertClose(got, want, 1e-6 * len, 1e-5, `${op} [${outer}, ${len}, ${inner}]`);
      }
    }
    gpu.destroy();
  },
});
