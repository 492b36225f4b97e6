/**
 * `allFinite`: false for NaN and ±∞ at every position, the tail after the last group of four
 * included; true for the extremes of finite floats.
 *
 * @module
 */

import { assertEquals } from "../core/asserts.ts";
import { allFinite } from "../../cpu/all_finite.ts";

Deno.test("allFinite finds NaN and ±Infinity anywhere and passes every finite value", () => {
  for (let n = 1; n <= 9; n++) {
    const x = new Float32Array(n).fill(3.4e38);
    x[0] = -0;
    assertEquals(allFinite(x), true, `${n} finite floats`);
    for (let at = 0; at < n; at++) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = x.slice();
        y[at] = bad;
        assertEquals(allFinite(y), false, `${bad} at ${at} of ${n}`);
      }
    }
  }
  assertEquals(allFinite(new Float32Array(0)), true, "empty");
});
