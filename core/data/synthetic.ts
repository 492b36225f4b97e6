/**
 * Synthetic regression sets, drawn from `--seed`: `linear`, y = Xw + b + ε with
 * w = [2, −3.4], b = 4.2, X ~ N(0, 1) and ε ~ N(0, 0.01²) (the classic linear-regression
 * tutorial's data), and `sinc`, y = sin(x)/x for x uniform on [−10, 10] plus ε ~ N(0, 0.1²).
 * Both hold 1,000 samples. `impulse` noise adds, to each sample with probability 0.1, an
 * outlier of ±(2 to 4) on top of the Gaussian noise, for robust losses.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { Rng } from "../rng.ts";
import type { RegressionTable } from "./regression_split.ts";

/** The noise of a synthetic set (`--noise`). */
export type NoiseKind = "gaussian" | "impulse";

/** The choices of `--noise`. */
export const noiseKinds: readonly NoiseKind[] = ["gaussian", "impulse"];

/** Samples in every synthetic set. */
export const SYNTHETIC_SAMPLES = 1000;

/** The true weights and bias of `synthetic:linear`. */
export const LINEAR_TRUTH = { w: [2, -3.4], b: 4.2, noise: 0.01 } as const;

/** The Gaussian noise σ of `synthetic:sinc`. */
export const SINC_NOISE = 0.1;

const sinc = (x: number) => x === 0 ? 1 : Math.sin(x) / x;

/**
 * The set `name` (`linear` or `sinc`) drawn from `seed` with `noise`.
 *
 * @example
 * ```ts
 * import { syntheticTable } from "./synthetic.ts";
 * const t = syntheticTable("linear", 0, "gaussian");
 * console.log(t.count, t.featureCount, t.targetCount); // 1000 2 1
 * ```
 */
export function syntheticTable(name: string, seed: number, noise: NoiseKind): RegressionTable {
  const rng = new Rng(seed);
  const n = SYNTHETIC_SAMPLES;
  const eps = (sigma: number) => {
    const outlier = noise === "impulse" && rng.uniform() < 0.1
      ? (rng.uniform() < 0.5 ? -1 : 1) * rng.uniformIn(2, 4)
      : 0;
    return sigma * rng.normal() + outlier;
  };
  if (name === "linear") {
    const { w, b } = LINEAR_TRUTH;
    const features = new Float32Array(n * 2), targets = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x0 = rng.normal(), x1 = rng.normal();
      features.set([x0, x1], i * 2);
      targets[i] = w[0] * x0 + w[1] * x1 + b + eps(LINEAR_TRUTH.noise);
    }
    return { features, targets, count: n, featureCount: 2, targetCount: 1 };
  }
  if (name === "sinc") {
    const features = new Float32Array(n), targets = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      features[i] = rng.uniformIn(-10, 10);
      targets[i] = sinc(features[i]) + eps(SINC_NOISE);
    }
    return { features, targets, count: n, featureCount: 1, targetCount: 1 };
  }
  throw new UsageError(
    "data",
    `expected synthetic:linear or synthetic:sinc, got "synthetic:${name}"`,
  );
}
