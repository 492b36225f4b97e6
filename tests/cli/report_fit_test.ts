/**
 * `report --fit` and `--band`: the fitted curves of regression runs over their data, the
 * band's two edges dashed, and one error line for a missing or malformed curve file.
 */

import assert from "node:assert/strict";
import { DataFormatError, UsageError } from "../../core/errors.ts";
import type { FitCurve } from "../../core/train/regression_eval.ts";
import { fitReport } from "../../cli/report_fit.ts";
import { withRegressionPanels } from "../../cli/regression_panels.ts";
import { metricsPanels } from "../../cli/metrics_panels.ts";

const curve = (loss: string, shift: number): FitCurve => ({
  loss,
  train: { x: [-1, 0, 1], y: [1, 0, 1] },
  test: { x: [0.5], y: [0.3] },
  grid: { x: [-1, 0, 1], y: [1 + shift, shift, 1 + shift] },
});

Deno.test("report --fit/--band: curves over the data, the band's edges dashed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gradmesh-report-fit-" });
  try {
    for (
      const [name, c] of [["mid", curve("mse", 0)], ["lo", curve("quantile τ=0.1", -0.5)]] as const
    ) {
      await Deno.mkdir(`${dir}/${name}`);
      await Deno.writeTextFile(`${dir}/${name}/fit_curve.json`, JSON.stringify(c));
    }
    await Deno.writeTextFile(`${dir}/hi.json`, JSON.stringify(curve("quantile τ=0.9", 0.5)));
    const svg = await fitReport(`${dir}/mid`, `${dir}/lo,${dir}/hi.json`);
    assert.ok(svg.startsWith("<svg"));
    // Three training samples and one test sample as dots, each its own one-point line (the
    // test sample's dashed); the fitted curve solid, the band's two edges dashed.
    assert.equal(svg.match(/<circle /g)?.length, 4);
    assert.equal(svg.match(/<polyline /g)?.length, 4 + 1 + 2);
    assert.equal(svg.match(/<polyline [^>]*stroke-dasharray/g)?.length, 1 + 2);
    assert.ok(
      svg.includes("band edge: quantile τ=0.1") && svg.includes("band edge: quantile τ=0.9"),
    );
    await assert.rejects(
      () => fitReport(`${dir}/none`, undefined),
      (e) =>
        e instanceof DataFormatError &&
        e.message.startsWith(`${dir}/none/fit_curve.json: cannot read`),
    );
    await Deno.writeTextFile(
      `${dir}/bad.json`,
      JSON.stringify({ ...curve("mse", 0), grid: { x: [1] } }),
    );
    await assert.rejects(
      () => fitReport(`${dir}/bad.json`, undefined),
      (e) => e instanceof DataFormatError && e.message.includes(`field "grid": expected`),
    );
    await assert.rejects(
      () => fitReport(undefined, `${dir}/lo`),
      (e) => e instanceof UsageError && e.message.startsWith("--band: expected two runs LO,HI"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report: a regression run's panels replace accuracy with its test metrics", () => {
  const record = {
    kind: "epoch" as const,
    epoch: 1,
    step: 10,
    train_loss: 0.5,
    train_acc: NaN,
    lr: 0.1,
    samples_per_s: 1e4,
    wall_s: 1,
    test_loss: 0.6,
    test_acc: null,
    test_rmse: 0.7,
    test_mae: 0.5,
    test_r2: 0.9,
    test_mape: 0.2,
    test_mbe: -0.01,
  };
  const runs = [{ name: "a", color: "#1f77b4", records: [record] }];
  const titles = withRegressionPanels(metricsPanels(runs), runs).map((p) => p.title);
  assert.deepEqual(titles, [
    "Loss",
    "Test RMSE (solid) and MAE (dashed)",
    "Test R²",
    "Test MAPE",
    "Test MBE (mean of prediction − target)",
  ]);
  const classifier = [{
    ...runs[0],
    records: [{ ...record, train_acc: 0.9, test_rmse: undefined }],
  }];
  assert.deepEqual(
    withRegressionPanels(metricsPanels(classifier), classifier).map((p) => p.title),
    [
      "Loss",
      "Accuracy",
    ],
  );
});
