/**
 * `launch`: a user's script (launch_script.ts) trained by 2 worker processes over the HTTP
 * mesh ends with the parameters that 1 worker reaches (the ring sums in another order,
 * hence a float32 tolerance); a worker that fails makes `launch` reject naming its rank.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { launch, LaunchError } from "../../mod.ts";
import { inTempDir } from "../temp_dir.ts";

const script = new URL("./launch_script.ts", import.meta.url);

async function trained(dir: string, workers: number) {
  const out = join(dir, `state-${workers}.json`);
  await launch(() => {}, { workers, script, args: [out], permissions: ["-A"] });
  return JSON.parse(await Deno.readTextFile(out)) as {
    world: number;
    final: { count: number };
    values: Record<string, number[]>;
  };
}

Deno.test("launch: 2 workers train a user's module to what 1 worker does", async () => {
  await inTempDir(async (dir) => {
    const [one, two] = [await trained(dir, 1), await trained(dir, 2)];
    assert.deepEqual([one.world, two.world], [1, 2]);
    assert.equal(two.final.count, 96);
    let moved = 0;
    for (const [key, want] of Object.entries(one.values)) {
      const got = two.values[key];
      assert.equal(got.length, want.length, key);
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 + 1e-4 * Math.abs(want[i]), `${key}[${i}]`);
      }
      moved += want.length;
    }
    assert.equal(moved, 5 * 16 + 16 + 16 * 3 + 3);
  });
});

Deno.test("launch: a failing worker rejects with its rank; bad worker counts are usage errors", async () => {
  const failing = new URL("./launch_failing_script.ts", import.meta.url);
  await assert.rejects(
    () => launch(() => {}, { workers: 2, script: failing, permissions: ["-A"] }),
    (e: Error) => e instanceof LaunchError && e.message === "launch: rank 1 exited with code 1",
  );
  await assert.rejects(
    () => launch(() => {}, { workers: 0 }),
    /workers: expected an integer in 1\.\.64, got 0/,
  );
});
