import assert from "node:assert/strict";
import {
  allReduceSeconds,
  cheapestCollective,
  fitRing,
  halvingDoublingSeconds,
  ringSeconds,
  weakScalingEfficiency,
} from "../../bench/cost_model.ts";

const link = { alpha: 2e-4, beta: 1e9 };

Deno.test("cost model: ring and halving-doubling follow their formulas", () => {
  // 2(N−1)(α + S/(Nβ)) with N = 4, S = 4 MB.
  assert.ok(Math.abs(ringSeconds(4, 4e6, link) - 6 * (2e-4 + 1e-3)) < 1e-12);
  // 2·log2 N·α + 2(N−1)/N·S/β with N = 8, S = 8 MB.
  assert.ok(Math.abs(halvingDoublingSeconds(8, 8e6, link) - (6 * 2e-4 + 14e-3)) < 1e-12);
  // 6 ranks: the 4-rank core plus one full-size exchange each way.
  const six = halvingDoublingSeconds(6, 1e6, link);
  assert.ok(Math.abs(six - (halvingDoublingSeconds(4, 1e6, link) + 2 * (2e-4 + 1e-3))) < 1e-12);
  assert.equal(ringSeconds(1, 1e6, link), 0);
  // Hierarchical with one rank per host is the cheaper flat collective.
  const flat = Math.min(ringSeconds(16, 1e6, link), halvingDoublingSeconds(16, 1e6, link));
  assert.ok(Math.abs(allReduceSeconds("hier", 16, 1e6, link) - flat) < 1e-12);
});

Deno.test("cost model: the cheapest collective is rhd for small messages, ring for large ones", () => {
  assert.equal(cheapestCollective(256, 4096, link).collective, "rhd");
  // 6 ranks, 64 MB: rhd's extra full-size exchanges cost more than the ring's 10 messages.
  assert.equal(cheapestCollective(6, 64e6, link).collective, "ring");
});

Deno.test("cost model: the ring fit recovers α and β from exact times", () => {
  const points = [2, 4, 8].flatMap((world) =>
    [4096, 1 << 20, 1 << 24].map((bytes) => ({
      world,
      bytes,
      seconds: ringSeconds(world, bytes, link),
    }))
  );
  const fitted = fitRing(points);
  assert.ok(Math.abs(fitted.alpha / link.alpha - 1) < 1e-9, `α ${fitted.alpha}`);
  assert.ok(Math.abs(fitted.beta / link.beta - 1) < 1e-9, `β ${fitted.beta}`);
  assert.throws(() => fitRing(points.slice(0, 1)), RangeError);
});

Deno.test("cost model: efficiency is compute over the whole step", () => {
  assert.equal(weakScalingEfficiency(0.09, 0.01), 0.9);
  assert.equal(weakScalingEfficiency(0.08, 0.01, 0.01), 0.8);
});
