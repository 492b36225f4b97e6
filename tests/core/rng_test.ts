/**
 * The seeded generator: reproducible streams, state that resumes exactly, known values
 * (so any change to the generator, which would change every seeded run, fails here) and
 * the moments of its distributions within statistical bounds.
 *
 * @module
 */

import { assert, assertEquals } from "./asserts.ts";
import { Rng } from "../../mod.ts";

const draw = (rng: Rng, n: number, f: (r: Rng) => number = (r) => r.uniform()) =>
  Array.from({ length: n }, () => f(rng));

Deno.test("rng: the same seed gives the same stream, other seeds another", () => {
  assertEquals(draw(new Rng(42), 1000), draw(new Rng(42), 1000));
  assertEquals(
    draw(new Rng(42), 100, (r) => r.normal()),
    draw(new Rng(42), 100, (r) => r.normal()),
  );
  const a = draw(new Rng(1), 8), b = draw(new Rng(2), 8);
  assert(a.every((v, i) => v !== b[i]), `seeds 1 and 2 share values: ${a} / ${b}`);
});

Deno.test("rng: seed 0 gives xoshiro128** values computed independently", () => {
  // SplitMix32-style seeding then xoshiro128**; values from a separate Python version of
  // the reference algorithm (https://prng.di.unimi.it/xoshiro128starstar.c).
  const rng = new Rng(0);
  assertEquals(rng.state(), [2462723854, 1020716019, 454327756, 1275600319]);
  assertEquals(draw(rng, 8, (r) => r.nextU32()), [
    3809008728,
    1133695204,
    53579671,
    2891528803,
    139681546,
    2203266335,
    104831812,
    1587294886,
  ]);
  assertEquals(draw(new Rng(0), 4), [
    0.8868539538234472,
    0.26395898405462503,
    0.012474989285692573,
    0.6732365123461932,
  ]);
  // Box–Muller over pairs of the uniforms above.
  assertEquals(draw(new Rng(0), 2, (r) => r.normal()), [
    -0.18286387008766009,
    -0.07349540968979319,
  ]);
});

Deno.test("rng: a saved state continues the same stream", () => {
  const rng = new Rng(7);
  draw(rng, 13);
  const saved = rng.state();
  const straight = [...draw(rng, 20), ...draw(rng, 5, (r) => r.normal())];
  const resumed = Rng.fromState(saved);
  assertEquals([...draw(resumed, 20), ...draw(resumed, 5, (r) => r.normal())], straight);
  // state() is a copy: changing it does not move the generator.
  const again = Rng.fromState(saved);
  again.state()[0] ^= 1;
  assertEquals(again.state(), saved);
  // States survive a JSON round trip (as in a checkpoint's metadata).
  assertEquals(draw(Rng.fromState(JSON.parse(JSON.stringify(saved))), 20), straight.slice(0, 20));
});

Deno.test("rng: uniform, uniformIn and int stay in range", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 10000; i++) {
    const u = rng.uniform();
    assert(u >= 0 && u < 1, `uniform ${u}`);
    const v = rng.uniformIn(-2, 5);
    assert(v >= -2 && v < 5, `uniformIn ${v}`);
    const k = rng.int(7);
    assert(Number.isInteger(k) && k >= 0 && k < 7, `int ${k}`);
  }
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 70000; i++) counts[rng.int(7)]++;
  // Each count is Binomial(70000, 1/7): sd ≈ 92.6; 5 sd is 463.
  for (const c of counts) assert(Math.abs(c - 10000) < 463, `int(7) counts ${counts}`);
});

function moments(xs: readonly number[]) {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { n, mean, variance };
}

Deno.test("rng: uniform mean and variance within 5 standard errors", () => {
  const { n, mean, variance } = moments(draw(new Rng(11), 200000));
  // U(0,1): mean 1/2, variance 1/12; the sample variance's sd is √((μ₄ − σ⁴)/n), μ₄ = 1/80.
  assert(Math.abs(mean - 0.5) < 5 * Math.sqrt(1 / 12 / n), `mean ${mean}`);
  assert(Math.abs(variance - 1 / 12) < 5 * Math.sqrt((1 / 80 - 1 / 144) / n), `var ${variance}`);
});

Deno.test("rng: normal mean, variance and tails within statistical bounds", () => {
  const xs = draw(new Rng(12), 200000, (r) => r.normal());
  const { n, mean, variance } = moments(xs);
  // N(0,1): the mean's sd is 1/√n, the sample variance's √(2/n).
  assert(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `var ${variance}`);
  assert(xs.every(Number.isFinite), "a normal variate is not finite");
  // P(|x| > 2) = 0.0455; the count's sd is √(n·p·(1−p)) ≈ 93.
  const tail = xs.filter((x) => Math.abs(x) > 2).length;
  assert(Math.abs(tail - 0.0455 * n) < 5 * Math.sqrt(n * 0.0455 * 0.9545), `tail ${tail}`);
});
