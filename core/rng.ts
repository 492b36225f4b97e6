/**
 * A seeded, portable random number generator: xoshiro128** on 32-bit integer math, so
 * the same seed gives the same numbers on every machine and JavaScript engine. Its state
 * is four integers, saved in checkpoints so a resumed run draws what the straight run drew.
 *
 * @module
 */

/** Seeded generator of uniform and normal variates. */
export class Rng {
  private s: Uint32Array;

  /**
   * Seeds from a number via SplitMix32, so nearby seeds give unrelated streams.
   * @example
   * ```ts
   * import { Rng } from "../mod.ts";
   * const rng = new Rng(0);
   * console.log(rng.uniform() < 1); // true
   * ```
   */
  constructor(seed: number) {
    let x = seed >>> 0;
    this.s = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** A generator continuing from a state that {@link Rng.state} returned. */
  static fromState(state: readonly number[]): Rng {
    const rng = new Rng(0);
    rng.s.set(state.map((v) => v >>> 0));
    return rng;
  }

  /** The four state words. */
  state(): number[] {
    return [...this.s];
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal variate (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  /**
   * Uniform integer in [0, n) for 1 ≤ n ≤ 2³². Draws below 2³² mod n are rejected, so
   * there is no modulo bias.
   */
  int(n: number): number {
    const threshold = (0x100000000 - n) % n;
    for (;;) {
      const r = this.nextU32();
      if (r >= threshold) return r % n;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
