/**
 * Every matmul variant of gpu/kernels/matmul_family.ts, pinned one at a time, against
 * PyTorch (tests/fixtures/matmul_golden.json, from make_golden_matmul.py): vec4 and
 * checked scalar forms, all four transposes, batches and split k. The fixture's inputs
 * are multiples of 1/16, so every partial sum is exact in float32 and a correct kernel
 * matches bit for bit (the linear layer's fused products on each variant are
 * matmul_family_linear_test.ts's). Then the tuner: it queues a new shape class, times every
 * variant, keeps one, stores it in the cache file, and a later tuner starts from that file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createWebGpuBackend, type WebGpuBackend } from "../../gpu/backend.ts";
import { MATMUL_FAMILY, runsOn, shapeClass } from "../../gpu/kernels/matmul_family.ts";
import { loadMatmulChoices, saveMatmulChoices } from "../../gpu/matmul_cache.ts";
import { MatmulTuner, MatmulVariantError } from "../../gpu/matmul_tuner.ts";
import { PipelineCache } from "../../gpu/pipelines.ts";
import { emptyStats } from "../../gpu/stats.ts";
import { inTempDir } from "../temp_dir.ts";
import { gpuUnderTest } from "./webgpu.ts";

interface MatmulCase {
  name: string;
  m: number;
  k: number;
  n: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  a: number[];
  b: number[];
  output: number[];
}

const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/matmul_golden.json", import.meta.url)),
) as { torch: string; cases: MatmulCase[] };

const { gpu, test } = await gpuUnderTest("tests/gpu/matmul_family_test.ts");

/** A backend on the shared device with every matmul on `variant`. */
function pinned(variant: string): WebGpuBackend {
  return createWebGpuBackend(gpu!.gpu, { matmulVariant: variant });
}

for (const variant of MATMUL_FAMILY) {
  test(`matmul ${variant.name} matches torch ${fixture.torch} exactly`, async () => {
    const backend = pinned(variant.name);
    // Every case's read-back is issued before the next case runs and all are awaited
    // together: each alone would wait out the map latency.
    const reads = fixture.cases.map((c) => {
      const out = backend.matmul({
        a: backend.upload(Float32Array.from(c.a)),
        b: backend.upload(Float32Array.from(c.b)),
        m: c.m,
        k: c.k,
        n: c.n,
        transA: c.transA,
        transB: c.transB,
        batch: c.batch,
      });
      const got = backend.read(out);
      backend.endStep();
      return got;
    });
    const failures: string[] = [];
    for (const [i, got] of (await Promise.all(reads)).entries()) {
      const c = fixture.cases[i];
      const bad = c.output.findIndex((v, i) => got[i] !== v);
      if (got.length !== c.output.length || bad >= 0) {
        failures.push(`${c.name}: [${bad}] got ${got[bad]}, torch ${c.output[bad]}`);
      }
    }
    assert.deepEqual(failures, []);
  });
}

test("the fixture reaches both forms, a batch and split k", () => {
  const classes = new Set(fixture.cases.map((c) => shapeClass(c).split(":")[1]));
  assert.deepEqual([...classes].sort(), ["s", "v4"]);
  assert.ok(fixture.cases.some((c) => c.batch > 1) && fixture.cases.some((c) => c.k > 2048));
});

test("an unknown pinned variant is refused by name", () => {
  assert.throws(() => pinned("tiled-1x1"), MatmulVariantError);
  assert.throws(() => pinned("tiled-1x1"), /tiled-1x1.*direct-4x8-8x8/);
});

test("the subgroup variant runs only where the device has subgroups, and a pin says so", () => {
  const bare = { features: new Set<string>() } as unknown as GPUDevice;
  const sg = MATMUL_FAMILY.filter((v) => !runsOn(v, bare)).map((v) => v.name);
  assert.deepEqual(sg, ["direct-8x8-8x8-sg"]);
  const options = { cachePath: null, adapter: "a", isSoftware: true, timestamps: false };
  assert.throws(
    () => new MatmulTuner(bare, null as unknown as PipelineCache, { ...options, pin: sg[0] }),
    /needs the subgroups feature/,
  );
});

function tunerIn(dir: string, retune = false): MatmulTuner {
  const device = gpu!.gpu.device;
  return new MatmulTuner(device, new PipelineCache(device, emptyStats()), {
    cachePath: `${dir}/gradmesh/matmul.json`,
    adapter: "test adapter",
    isSoftware: gpu!.gpu.isSoftware,
    timestamps: gpu!.gpu.hasTimestampQuery,
    retune,
  });
}

test("the tuner times every variant, keeps the fastest and caches it per adapter", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/gradmesh/matmul.json`;
    // Another adapter's entry must survive this one's save.
    await saveMatmulChoices(path, "other adapter", new Map([["NN:s:msmsms", "tiled-64x64"]]));
    const p = { m: 40, k: 36, n: 44, transA: false, transB: true, batch: 1 };
    const tuner = tunerIn(dir);
    const first = tuner.choose(p);
    assert.ok(tuner.hasPending);
    const times = await tuner.timeAll(p);
    assert.deepEqual([...times.keys()], MATMUL_FAMILY.map((v) => v.name));
    assert.ok([...times.values()].every((ms) => ms > 0), `${[...times]}`);
    // Two reads at once share one tuning.
    const tuning = tuner.tune();
    assert.equal(tuner.tune(), tuning);
    await tuning;
    assert.ok(!tuner.hasPending);
    const stored = loadMatmulChoices(path, "test adapter").get(shapeClass(p));
    assert.ok(MATMUL_FAMILY.some((v) => v.name === stored), `stored ${stored}`);
    assert.equal(tuner.choose(p).name, stored);
    assert.equal(loadMatmulChoices(path, "other adapter").get("NN:s:msmsms"), "tiled-64x64");

    // A new process starts from the file; retune ignores it and queues the class again.
    const later = tunerIn(dir);
    assert.equal(later.choose(p).name, stored);
    assert.ok(!later.hasPending);
    const again = tunerIn(dir, true);
    assert.equal(again.choose(p).name, first.name);
    assert.ok(again.hasPending);
  });
});

test("a malformed cache file is ignored and then replaced", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/gradmesh/matmul.json`;
    await Deno.mkdir(`${dir}/gradmesh`);
    await Deno.writeTextFile(path, "{not json");
    assert.equal(loadMatmulChoices(path, "test adapter").size, 0);
    assert.ok(await saveMatmulChoices(path, "test adapter", new Map([["c", "tiled-64x64"]])));
    assert.equal(loadMatmulChoices(path, "test adapter").get("c"), "tiled-64x64");
    assert.deepEqual([...Deno.readDirSync(`${dir}/gradmesh`)].map((e) => e.name), [
      "matmul.json",
    ]);
  });
});
