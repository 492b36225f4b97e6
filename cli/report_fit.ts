/**
 * `report --fit RUN[,RUN…]` and `report --band LO,HI`: the fitted curve of one-feature
 * regression runs drawn over their data (training samples as filled dots, test samples as
 * open ones), and the band between two quantile runs (e.g. τ = 0.1 and 0.9) as its two
 * dashed edges. A RUN is a run directory holding `fit_curve.json`, or that file itself.
 *
 * @module
 */

import { DataFormatError, UsageError } from "../core/errors.ts";
import { FIT_CURVE_FILE, type FitCurve } from "../core/train/regression_eval.ts";
import { PALETTE } from "./metrics_panels.ts";
import { type ChartSeries, lineChartSvg } from "./svg_chart.ts";

/** A fitted curve and where it came from. */
interface NamedCurve {
  path: string;
  curve: FitCurve;
}

const DATA_COLOR = "#9a9a9a";
const BAND_COLOR = "#d62728";

/** Reads the fitted curve of `run` (a run directory or its `fit_curve.json`). */
export async function readFitCurve(run: string): Promise<NamedCurve> {
  const path = run.endsWith(".json") ? run : `${run.replace(/\/+$/, "")}/${FIT_CURVE_FILE}`;
  let value: unknown;
  try {
    value = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file (a regression run with one feature and one target writes it)"
      : (e as Error).message.split("\n")[0];
    throw new DataFormatError(path, `cannot read the fitted curve: ${why}`);
  }
  const c = value as Partial<FitCurve>;
  for (const field of ["train", "test", "grid"] as const) {
    const part = c?.[field];
    if (
      !part || !Array.isArray(part.x) || !Array.isArray(part.y) || part.x.length !== part.y.length
    ) {
      throw new DataFormatError(
        path,
        `field "${field}": expected {"x": [...], "y": [...]} of equal length`,
      );
    }
  }
  if (typeof c.loss !== "string") {
    throw new DataFormatError(path, `field "loss": expected a string`);
  }
  return { path, curve: c as FitCurve };
}

// Points as separate dots: non-finite points break the line between them.
const dots = (x: readonly number[], y: readonly number[]) =>
  x.flatMap((v, i) => [[v, y[i]] as const, [NaN, NaN] as const]);

/**
 * The SVG of `fits` (each run's curve in its own colour) and `band` (two quantile runs'
 * curves, dashed), over the data of the first curve given.
 */
export function fitReportSvg(fits: readonly NamedCurve[], band: readonly NamedCurve[]): string {
  const data = (fits[0] ?? band[0]).curve;
  const series: ChartSeries[] = [
    {
      label: "train samples",
      color: DATA_COLOR,
      points: dots(data.train.x, data.train.y),
      markers: true,
    },
    {
      label: "test samples",
      color: DATA_COLOR,
      points: dots(data.test.x, data.test.y),
      markers: true,
      dashed: true,
    },
    ...band.map(({ path, curve }) => ({
      label: `${path}: ${curve.loss}`,
      color: BAND_COLOR,
      points: curve.grid.x.map((x, i) => [x, curve.grid.y[i]] as const),
      dashed: true,
    })),
    ...fits.map(({ path, curve }, i) => ({
      label: `${path}: ${curve.loss}`,
      color: PALETTE[i % PALETTE.length],
      points: curve.grid.x.map((x, j) => [x, curve.grid.y[j]] as const),
    })),
  ];
  const legend = [
    { label: "data (test: open dots)", color: DATA_COLOR },
    ...band.map(({ curve }) => ({
      label: `band edge: ${curve.loss}`,
      color: BAND_COLOR,
      dashed: true,
    })),
    ...fits.map(({ path, curve }, i) => ({
      label: `${path}: ${curve.loss}`,
      color: PALETTE[i % PALETTE.length],
    })),
  ];
  return lineChartSvg(
    [{ title: "Fitted curve over the data", xLabel: "x", yLabel: "y", series }],
    { title: "gradmesh regression fit", legend, panelHeight: 420 },
  );
}

/**
 * Reads the runs `--fit` and `--band` name (comma-separated lists; `--band` exactly two)
 * and returns the SVG to write.
 */
export async function fitReport(
  fit: string | undefined,
  band: string | undefined,
): Promise<string> {
  const list = (s: string | undefined) =>
    s === undefined ? [] : s.split(",").filter((r) => r !== "");
  const bandRuns = list(band);
  if (band !== undefined && bandRuns.length !== 2) {
    throw new UsageError("--band", `expected two runs LO,HI (e.g. τ = 0.1 and 0.9), got "${band}"`);
  }
  if (fit !== undefined && list(fit).length === 0) {
    throw new UsageError("--fit", "expected one or more run directories, comma-separated");
  }
  const [fits, edges] = await Promise.all([
    Promise.all(list(fit).map(readFitCurve)),
    Promise.all(bandRuns.map(readFitCurve)),
  ]);
  return fitReportSvg(fits, edges);
}
