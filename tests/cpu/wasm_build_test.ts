/**
 * The committed WebAssembly kernels match their C sources: always through the hashes that
 * `cpu/kernels/build.ts` records in `kernels.json`, and, where clang, wasm-ld and wabt are
 * installed, by rebuilding them and comparing the bytes.
 *
 * @module
 */

import {
  buildKernels,
  KERNEL_BUILDS,
  type KernelRecord,
  sha256,
  sourceHash,
} from "../../cpu/kernels/build.ts";
import { assertEquals } from "../core/asserts.ts";

const dir = new URL("../../cpu/kernels/", import.meta.url);
const record: KernelRecord = JSON.parse(await Deno.readTextFile(new URL("kernels.json", dir)));

async function toolsPresent(): Promise<boolean> {
  for (const tool of ["clang", "wasm-ld", "wasm2wat", "wat2wasm"]) {
    try {
      await new Deno.Command(tool, { args: ["--version"], stdout: "null", stderr: "null" })
        .output();
    } catch {
      return false;
    }
  }
  return true;
}

Deno.test("kernels.json records the hash of today's kernel sources and of each binary", async () => {
  assertEquals(
    await sourceHash(),
    record.sourceSha256,
    "the C sources changed: run deno run -A cpu/kernels/build.ts and commit the binaries",
  );
  for (const b of KERNEL_BUILDS) {
    assertEquals(await sha256(await Deno.readFile(new URL(b.file, dir))), record.binaries[b.file]);
  }
});

Deno.test({
  name: "rebuilding the kernels from source gives the committed binaries, byte for byte",
  ignore: !(await toolsPresent()),
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "gradmesh-kernels-" });
    try {
      const rebuilt = await buildKernels(out);
      assertEquals(rebuilt, record);
      for (const b of KERNEL_BUILDS) {
        const fresh = await Deno.readFile(`${out}/${b.file}`);
        assertEquals(fresh, await Deno.readFile(new URL(b.file, dir)), b.file);
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
