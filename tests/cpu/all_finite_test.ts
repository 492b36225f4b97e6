/**
 * `allFinite` and the kernels' scan behind the fast backend's `markNonFinite`: false for NaN
 * and ±∞ at every position, the tail after the last group of four (or sixteen) included;
 * true for the extremes of finite floats.
 *
 * @module
 */

import { assertEquals } from "../core/asserts.ts";
import { allFinite } from "../../cpu/all_finite.ts";
import { createFastCpuBackend } from "../../cpu/backend.ts";
import type { CpuStorage } from "../../core/cpu/backend.ts";

/** Every array of 1 to `max` floats, finite, then with each bad value at each position. */
function* cases(max: number): Generator<[Float32Array, boolean, string]> {
  for (let n = 1; n <= max; n++) {
    const x = new Float32Array(n).fill(3.4e38);
    x[0] = -0;
    yield [x, true, `${n} finite floats`];
    for (let at = 0; at < n; at++) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = x.slice();
        y[at] = bad;
        yield [y, false, `${bad} at ${at} of ${n}`];
      }
    }
  }
}

Deno.test("allFinite finds NaN and ±Infinity anywhere and passes every finite value", () => {
  for (const [x, finite, what] of cases(9)) assertEquals(allFinite(x), finite, what);
  assertEquals(allFinite(new Float32Array(0)), true, "empty");
});

Deno.test("markNonFinite of the fast backend scans storages in the kernels' memory as the reference does", async () => {
  const fast = await createFastCpuBackend({ threads: 1, sgemm: "wasm" });
  try {
    for (const [x, finite, what] of cases(35)) {
      const flag = fast.zeros(3, true), stored = fast.upload(x, true);
      fast.markNonFinite(flag, stored, 7);
      const at = x.findIndex((v) => !Number.isFinite(v));
      const want = finite ? [0, 0, 0] : [7, 0, at];
      assertEquals(Array.from((flag as CpuStorage).data), want, what);
    }
  } finally {
    fast.destroy();
  }
});
