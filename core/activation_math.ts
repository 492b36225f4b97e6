/**
 * Scalar helpers that the reference math of several activations shares (float64, written
 * to stay finite and accurate where the naive formula overflows or cancels).
 *
 * @module
 */

import { erfc } from "./erf.ts";

/** `1 / (1 + e⁻ˣ)` without overflow. */
export const sigmoid = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));

/** `log(1 + eˣ)` without overflow. */
export const softplus = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

/** Φ(x), the standard normal distribution function. */
export const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** φ(x), the standard normal density. */
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
