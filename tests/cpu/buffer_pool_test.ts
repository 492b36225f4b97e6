/**
 * The output pool hands an array out once per step and reuses it only after `recycle`.
 *
 * @module
 */

import { BufferPool } from "../../cpu/buffer_pool.ts";
import { assert, assertEquals } from "../core/asserts.ts";

Deno.test("BufferPool: arrays come back only after recycle, matched by size", () => {
  const pool = new BufferPool();
  const a = pool.take(8), b = pool.take(8), c = pool.take(3);
  assert(a !== b, "two live arrays of one size are distinct");
  pool.recycle();
  const again = [pool.take(8), pool.take(8), pool.take(8)];
  assert(again.includes(a) && again.includes(b), "recycled arrays are reused");
  assertEquals(new Set(again).size, 3);
  assert(pool.take(3) === c);
  assertEquals(pool.take(5).length, 5);
});
