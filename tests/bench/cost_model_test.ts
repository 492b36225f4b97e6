import assert from "node:assert/strict";
import {
  autoCollective,
  collectiveSeconds,
  evenHosts,
  fitRing,
  weakScalingEfficiency,
} from "../../bench/cost_model.ts";
import {
  halvingSeconds,
  ringSeconds,
  treeSeconds,
} from "../../coordinator/transport/algorithm_choice.ts";

const link = { alphaS: 2e-4, bytesPerS: 1e9 };
const near = (a: number, b: number) => Math.abs(a - b) < 1e-12;

Deno.test("cost model: ring, tree, halving and hier follow their formulas", () => {
  // 2(p − 1)α + 2(p − 1)/p · n/β with p = 4, n = 4 MB.
  assert.ok(near(ringSeconds(4e6, 4, link), 6 * 2e-4 + 6e-3));
  // 2⌈log₂ p⌉(α + n/β) with p = 5, n = 1 MB: 3 levels.
  assert.ok(near(treeSeconds(1e6, 5, link), 6 * (2e-4 + 1e-3)));
  // 2·log₂ q·α + 2(q − 1)/q · n/β with p = q = 8, n = 8 MB.
  assert.ok(near(halvingSeconds(8e6, 8, link), 6 * 2e-4 + 14e-3));
  // 6 ranks: the 4-rank core plus the fold, one full-size exchange each way.
  assert.ok(near(halvingSeconds(1e6, 6, link), halvingSeconds(1e6, 4, link) + 2 * (2e-4 + 1e-3)));
  assert.equal(ringSeconds(1e6, 1, link), 0);
  // 16 ranks, 4 per host: a 4-rank tree on loopback, then the cheaper flat one over 4 hosts.
  const local = { alphaS: 1e-4, bytesPerS: 4e9 };
  const across = Math.min(ringSeconds(1e6, 4, link), treeSeconds(1e6, 4, link));
  const hier = collectiveSeconds("hier", 1e6, 16, link, { perHost: 4, local });
  assert.ok(near(hier, treeSeconds(1e6, 4, local) + across));
  assert.ok(near(collectiveSeconds("halving", 1e6, 16, link), halvingSeconds(1e6, 16, link)));
  // All ranks on one host: the flat collectives run on the local links.
  const oneHost = { perHost: 16, local };
  assert.ok(near(collectiveSeconds("ring", 1e6, 16, link, oneHost), ringSeconds(1e6, 16, local)));
  assert.deepEqual(evenHosts(5, 2), ["0", "0", "1", "1", "2"]);
});

Deno.test("cost model: auto takes the tree for small buffers, the ring for large, never halving", () => {
  assert.equal(autoCollective(4096, 256, link).collective, "tree");
  assert.equal(autoCollective(64e6, 8, link).collective, "ring");
  // Halving is the cheapest here, but auto does not run it.
  const n = 1 << 20, p = 256;
  assert.ok(halvingSeconds(n, p, link) < autoCollective(n, p, link).seconds);
  // Several ranks per host and several hosts: hier is a candidate.
  const local = { alphaS: 1e-5, bytesPerS: 1e10 };
  assert.equal(autoCollective(n, 64, link, { perHost: 8, local }).collective, "hier");
});

Deno.test("cost model: the ring fit recovers α and β from exact times", () => {
  const points = [2, 4, 8].flatMap((world) =>
    [4096, 1 << 20, 1 << 24].map((bytes) => ({
      world,
      bytes,
      seconds: ringSeconds(bytes, world, link),
    }))
  );
  const fitted = fitRing(points);
  assert.ok(Math.abs(fitted.alphaS / link.alphaS - 1) < 1e-9, `α ${fitted.alphaS}`);
  assert.ok(Math.abs(fitted.bytesPerS / link.bytesPerS - 1) < 1e-9, `β ${fitted.bytesPerS}`);
  assert.throws(() => fitRing(points.slice(0, 1)), RangeError);
});

Deno.test("cost model: efficiency is compute over the whole step", () => {
  assert.equal(weakScalingEfficiency(0.09, 0.01), 0.9);
  assert.equal(weakScalingEfficiency(0.08, 0.01, 0.01), 0.8);
});
