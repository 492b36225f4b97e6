/**
 * The kernels' block copies: the batch gather from a training set held in their memory
 * against `gatherSamplesHost` (core/cpu/gather.ts), out-of-range indices included, and
 * copies between arrays there; and the fast backend's gather and copy through them.
 *
 * @module
 */

import { CpuStorage } from "../../core/cpu/backend.ts";
import { gatherSamplesHost } from "../../core/cpu/gather.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { assert, assertEquals } from "../core/asserts.ts";
import { withHeldKernels } from "./held_kernels.ts";

const [COUNT, WIDTH] = [37, 13];
const table = Float32Array.from({ length: COUNT * WIDTH }, (_, i) => Math.sin(i) * 100);
const classes = Float32Array.from({ length: COUNT }, (_, i) => i % 10);
// In range, repeated, and outside it: below, at and far past the end, and NaN.
const ix = Float32Array.from([5, 0, 36, 5, -1, 37, 1e9, NaN, 17]);

function hostGather(): [Float32Array, Float32Array] {
  const x = new Float32Array(ix.length * WIDTH).fill(9), y = new Float32Array(ix.length).fill(9);
  gatherSamplesHost(table, classes, ix, WIDTH, x, y);
  return [x, y];
}

Deno.test("the kernels gather rows and copy arrays as the host does", async () => {
  await withHeldKernels(undefined, (kernels, held) => {
    const x = held(new Float32Array(ix.length * WIDTH).fill(9));
    const y = held(new Float32Array(ix.length).fill(9));
    assert(kernels.gather([held(table), held(classes)], held(ix), WIDTH, { x, y }), "gathered");
    const [xWant, yWant] = hostGather();
    assertEquals([...x], [...xWant], "rows");
    assertEquals([...y], [...yWant], "labels");
    assertEquals(kernels.gather([table, classes], ix, WIDTH, { x, y }), false, "a plain table");

    const src = held(table), dst = held(new Float32Array(table.length + 3).fill(-1));
    assert(kernels.copy(dst, src), "copied");
    assertEquals([...dst], [...table, -1, -1, -1], "copy");
    assertEquals(kernels.copy(dst, table), false, "a plain source");
    assertEquals(kernels.copy(src, dst), false, "a source longer than the destination");
  });
});

Deno.test("the fast backend gathers a held training set and copies storages as the reference", async () => {
  const b = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  try {
    const images = b.upload(table, true), labels = b.upload(classes, true);
    const { x, y } = b.gatherSamples(images, labels, b.upload(ix), WIDTH);
    const [xWant, yWant] = hostGather();
    const d = (s: unknown) => [...(s as CpuStorage).data];
    assertEquals([d(x), d(y)], [[...xWant], [...yWant]]);
    const dst = b.zeros(table.length, true);
    b.copy(dst, images);
    assertEquals(d(dst), [...table], "held to held");
    const plain = new CpuStorage(new Float32Array(table.length));
    b.copy(plain, images);
    assertEquals(d(plain), [...table], "held to plain");
  } finally {
    b.destroy();
  }
});
