/**
 * A launched script whose rank 1 fails at once while rank 0 would wait 30 s: what
 * `launch_test.ts` expects `launch` to report (naming rank 1) and stop (rank 0).
 *
 * @module
 */

import { launch } from "../../mod.ts";

await launch(({ rank }) => {
  if (rank === 1) throw new Error("rank 1 fails on purpose");
  return new Promise((resolve) => setTimeout(resolve, 30_000));
}, { workers: 2 });
