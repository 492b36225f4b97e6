/**
 * Parameter initialisers with PyTorch's formulas (torch.nn.init), drawing from a seeded
 * {@link Rng}.
 *
 * @module
 */

import type { Rng } from "../rng.ts";

/** `n` values from U(−bound, bound). */
export function uniformInit(rng: Rng, n: number, bound: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniformIn(-bound, bound);
  return out;
}

/**
 * Kaiming-uniform with leaky-ReLU slope `a` (PyTorch's `kaiming_uniform_`, fan_in mode):
 * bound = gain·√(3 / fan_in), gain = √(2 / (1 + a²)).
 */
export function kaimingUniform(rng: Rng, n: number, fanIn: number, a: number): Float32Array {
  const gain = Math.sqrt(2 / (1 + a * a));
  return uniformInit(rng, n, gain * Math.sqrt(3 / fanIn));
}
