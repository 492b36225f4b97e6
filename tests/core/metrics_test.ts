/**
 * Host-side metrics against scikit-learn 1.2 (tests/fixtures/catalog_golden.json, written
 * by tests/fixtures/make_golden_catalog.py on float32 inputs widened to float64), plus
 * the errors that bad inputs raise.
 *
 * Tolerance: relative 1e-12 (summation order differs from NumPy's pairwise sums);
 * counts and confusion matrices must be equal, as must a NaN.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ShapeError, UsageError } from "../../mod.ts";
import { assertClose } from "./asserts.ts";
import {
  accuracy,
  confusionMatrix,
  precisionRecallF1,
  topKAccuracy,
} from "../../core/metrics/classification.ts";
import {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  r2Score,
  rootMeanSquaredError,
} from "../../core/metrics/regression.ts";

interface MetricCase {
  name: string;
  kind: string;
  // deno-lint-ignore no-explicit-any
  args: any;
  expected: number | string | number[][] | Record<string, number>;
}

const RTOL = 1e-12;
const fixture = JSON.parse(
  await Deno.readTextFile(new URL("../fixtures/catalog_golden.json", import.meta.url)),
) as { sklearn: string; metrics: MetricCase[] };

const regression = {
  meanSquaredError,
  rootMeanSquaredError,
  meanAbsoluteError,
  r2Score,
  meanAbsolutePercentageError,
};
/** gradmesh's counterpart of each fixture `kind`, with the float32 inputs it would get. */
const metricsByKind: Record<string, (a: MetricCase["args"]) => unknown> = {
  accuracy: (a) => accuracy(new Float32Array(a.yTrue), new Float32Array(a.yPred)),
  topKAccuracy: (a) => topKAccuracy(new Float32Array(a.yTrue), new Float32Array(a.scores), a.k),
  confusionMatrix: (a) => confusionMatrix(a.yTrue, a.yPred, a.numClasses),
  precisionRecallF1: (a) =>
    precisionRecallF1(new Float32Array(a.yTrue), new Float32Array(a.yPred), {
      average: a.average,
      labels: a.labels,
    }),
  ...Object.fromEntries(
    Object.entries(regression).map(([k, f]) => [
      k,
      (a: MetricCase["args"]) => f(new Float32Array(a.yTrue), new Float32Array(a.yPred)),
    ]),
  ),
};

for (const c of fixture.metrics) {
  Deno.test(`metric ${c.name} matches scikit-learn ${fixture.sklearn}`, () => {
    const fn = metricsByKind[c.kind];
    assert.ok(fn, `no gradmesh metric for kind ${c.kind}`);
    const got = fn(c.args);
    if (Array.isArray(c.expected)) return assert.deepEqual(got, c.expected);
    if (typeof c.expected === "object") {
      const [g, e] = [got as Record<string, number>, c.expected];
      const keys = Object.keys(e);
      return assertClose(keys.map((k) => g[k]), keys.map((k) => e[k]), 0, RTOL, c.name);
    }
    const expected = Number(c.expected);
    if (Number.isNaN(expected)) return assert.ok(Number.isNaN(got));
    assertClose([got as number], [expected], 0, RTOL);
  });
}

Deno.test("metrics: the fixture covers every metric", () => {
  const kinds = new Set(fixture.metrics.map((c) => c.kind));
  assert.deepEqual(Object.keys(metricsByKind).filter((k) => !kinds.has(k)), []);
});

Deno.test("metrics: mismatched or empty inputs are shape errors naming the metric", () => {
  const pairs: [string, (a: number[], b: number[]) => unknown][] = [
    ["accuracy", accuracy],
    ["confusionMatrix", (a, b) => confusionMatrix(a, b, 3)],
    ["precisionRecallF1", (a, b) => precisionRecallF1(a, b)],
    ...Object.entries(regression),
  ];
  for (const [name, fn] of pairs) {
    for (const [a, b] of [[[1, 2], [1]], [[], []]]) {
      assert.throws(
        () => fn(a, b),
        (e) => e instanceof ShapeError && e.message.startsWith(`${name}:`),
        `${name} [${a}] [${b}]`,
      );
    }
  }
  assert.throws(() => topKAccuracy([0, 1], [0.1, 0.2, 0.3], 1), /topKAccuracy: scores must be/);
});

Deno.test("metrics: bad labels, k and average are usage errors", () => {
  assert.throws(() => confusionMatrix([0, 3], [0, 1], 3), UsageError);
  assert.throws(() => confusionMatrix([0, 0.5], [0, 1], 3), UsageError);
  assert.throws(() => topKAccuracy([0], [0.1, 0.2], 0), UsageError);
  assert.throws(() => precisionRecallF1([0], [0], { average: "binary" as "macro" }), UsageError);
});
