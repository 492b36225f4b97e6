/**
 * What a regression run measures beyond its loss: the model's predictions on a dataset,
 * the regression metrics of the test split, and, for one feature and one target, the
 * fitted curve over a grid of x that `report --fit` draws over the data.
 *
 * @module
 */

import { noGrad } from "../autograd.ts";
import { writeTextAtomic } from "../checkpoint/atomic.ts";
import type { Dataset } from "../data/dataset.ts";
import { type RegressionScores, regressionScores } from "../metrics/regression_scores.ts";
import { tensor } from "../tensor.ts";
import type { Trainer } from "./trainer.ts";

/** Rows predicted per forward pass. */
const PREDICT_BATCH = 1000;

/** The file in a run's directory that holds its fitted curve. */
export const FIT_CURVE_FILE = "fit_curve.json";

/** Points of the x grid of a fitted curve. */
export const CURVE_POINTS = 200;

/** Samples of each split a fitted curve keeps (evenly strided beyond that): a plot's worth. */
export const CURVE_SAMPLES = 2000;

/**
 * The model's outputs (evaluation mode, no gradients) for `rows` samples of `features`,
 * row-major.
 */
export async function predictRows(
  trainer: Trainer,
  features: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const backend = trainer.flat.backend;
  const width = features.length / rows;
  const parts: Float32Array[] = [];
  trainer.model.eval();
  for (let start = 0; start < rows; start += PREDICT_BATCH) {
    const n = Math.min(PREDICT_BATCH, rows - start);
    const x = features.subarray(start * width, (start + n) * width);
    const out = noGrad(() => trainer.model.forward(tensor(backend, x, [n, ...trainer.inputShape])));
    parts.push(await out.toArray());
    backend.endStep();
  }
  const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  parts.reduce((at, p) => (all.set(p, at), at + p.length), 0);
  return all;
}

/** The regression metrics of the model's predictions on `data` (regression targets). */
export async function datasetScores(trainer: Trainer, data: Dataset): Promise<RegressionScores> {
  const predicted = await predictRows(trainer, data.images, data.count);
  return regressionScores(data.labels, predicted, data.targets ?? 1);
}

/**
 * What `report --fit` draws: the data (at most {@link CURVE_SAMPLES} samples per split),
 * and the model's predictions on a grid of x.
 */
export interface FitCurve {
  /** The run's loss (with τ for the quantile loss), for the legend. */
  loss: string;
  train: { x: number[]; y: number[] };
  test: { x: number[]; y: number[] };
  grid: { x: number[]; y: number[] };
}

/**
 * Writes the {@link FitCurve} of a one-feature, one-target regression model to `path`
 * (atomically). Other runs have no curve to draw: for them it removes a curve that an
 * earlier run left at `path` (an `--overwrite`n run). Returns whether it wrote.
 */
export async function writeFitCurve(
  path: string,
  trainer: Trainer,
  data: { train: Dataset; test: Dataset },
  config: { loss: string; quantile: number },
): Promise<boolean> {
  const { train, test } = data;
  if (train.sampleShape.length !== 1 || train.sampleShape[0] !== 1 || train.targets !== 1) {
    await Deno.remove(path).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    return false;
  }
  const xs = [...train.images, ...test.images];
  const lo = Math.min(...xs), hi = Math.max(...xs);
  const gridX = Float32Array.from(
    { length: CURVE_POINTS },
    (_, i) => lo + (hi - lo) * i / (CURVE_POINTS - 1),
  );
  const gridY = await predictRows(trainer, gridX, CURVE_POINTS);
  const pairs = (d: Dataset) => {
    const step = Math.ceil(d.count / CURVE_SAMPLES);
    const keep = <T>(_: T, i: number) => i % step === 0;
    return { x: [...d.images].filter(keep), y: [...d.labels].filter(keep) };
  };
  const curve: FitCurve = {
    loss: config.loss === "quantile" ? `quantile τ=${config.quantile}` : config.loss,
    train: pairs(train),
    test: pairs(test),
    grid: { x: [...gridX], y: [...gridY] },
  };
  await writeTextAtomic(path, JSON.stringify(curve) + "\n");
  return true;
}
