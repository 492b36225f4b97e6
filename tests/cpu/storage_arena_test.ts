/**
 * The fast CPU backend's storages in the kernels' shared memory: persistent ones keep their
 * values while the memory grows and steps end, step storages are reused after `endStep`, and
 * a persistent storage made while a step's arrays are live still works (in the room left for
 * it, or as a plain array past it).
 *
 * @module
 */

import type { Backend } from "../../core/backend.ts";
import { type CpuStorage, createCpuBackend } from "../../core/cpu/backend.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import { assert, assertEquals } from "../core/asserts.ts";

function data(s: unknown): Float32Array {
  return (s as CpuStorage).data;
}

Deno.test("persistent storages keep their values across growth and steps; step storages are reused", async () => {
  const fast = await createFastCpuBackend({ threads: 2, sgemm: "wasm" });
  try {
    const weights = Float32Array.from({ length: 1000 }, (_, i) => i / 7);
    const w = fast.upload(weights, true);
    assert(data(w).buffer instanceof SharedArrayBuffer, "a persistent storage is in the memory");
    // 64 MiB of step storages grow the memory far past where it was.
    const big = fast.zeros(16 << 20);
    assert(data(big).buffer instanceof SharedArrayBuffer, "a step storage is in the memory");
    // Made while the step's arrays are live: in the room above the persistent arrays.
    const late = fast.upload(Float32Array.of(1, 2, 3), true);
    // Larger than that room while the step is live: a plain array, still correct.
    const huge = fast.zeros(4 << 20, true);
    assert(!(data(huge).buffer instanceof SharedArrayBuffer), "no room: a plain array");
    fast.endStep();
    const next = fast.zeros(16 << 20);
    assertEquals(data(next).byteOffset, data(big).byteOffset, "the next step reuses the memory");
    data(next).fill(-1);
    assertEquals(Array.from(data(w)), Array.from(weights));
    assertEquals(Array.from(data(late)), [1, 2, 3]);
    assertEquals(data(huge).length, 4 << 20);
    // Between steps, persistent storages may push the step's arrays up.
    fast.endStep();
    const after = fast.zeros(4 << 20, true);
    assert(data(after).buffer instanceof SharedArrayBuffer, "between steps: in the memory");
    assertEquals(Array.from(data(w)), Array.from(weights));
    // A product reads persistent and step operands in place and gives the reference's result.
    const a = fast.upload(Float32Array.of(1, 2, 3, 4), true),
      b = fast.upload(Float32Array.of(5, 6));
    const c = await fast.read(
      fast.matmul({ a, b, m: 2, k: 2, n: 1, transA: false, transB: false }),
    );
    assertEquals(Array.from(c), [17, 39]);
  } finally {
    fast.destroy();
  }
});

Deno.test("gatherSamples writes the reference's rows into the step's memory, zeros for an index out of range", async () => {
  const fast = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  const reference = createCpuBackend();
  try {
    const table = Float32Array.from({ length: 5 * 3 }, (_, i) => i + 0.5);
    const classes = Float32Array.of(4, 3, 2, 1, 0);
    const idx = Float32Array.of(4, 0, 7, 2);
    const run = (b: Backend) => {
      const images = b.upload(table, true), labels = b.upload(classes, true);
      // A reused step array holds old values: the out-of-range row must still come out zero.
      data(b.upload(new Float32Array(64).fill(9)));
      b.endStep();
      const { x, y } = b.gatherSamples(images, labels, b.upload(idx), 3);
      return [data(x), data(y)];
    };
    const [x, y] = run(fast);
    assert(x.buffer instanceof SharedArrayBuffer, "the batch is in the kernels' memory");
    assertEquals([Array.from(x), Array.from(y)], run(reference).map((a) => Array.from(a)));
  } finally {
    fast.destroy();
  }
});
