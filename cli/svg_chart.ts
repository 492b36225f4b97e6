/**
 * `lineChartSvg`: line charts as a standalone SVG document, with no I/O. Panels are
 * stacked vertically under a title and a legend; each has axes with "nice" ticks, grid
 * lines, labels, and optionally a log-scale y axis. Non-finite points (and non-positive
 * ones on a log axis) break a line rather than bending it.
 *
 * @module
 */

/** One line. `label` becomes its tooltip. */
export interface ChartSeries {
  label: string;
  color: string;
  points: readonly (readonly [x: number, y: number])[];
  dashed?: boolean;
  /** Draw a dot at every point (for sparse series such as per-epoch values). */
  markers?: boolean;
}

/** One chart: its lines share the axes. */
export interface ChartPanel {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  series: readonly ChartSeries[];
}

/** One legend item: a line sample in `color` (dashed or solid) and its label. */
export interface LegendEntry {
  label: string;
  color: string;
  dashed?: boolean;
}

/** Page-level options of {@link lineChartSvg}. */
export interface ChartOptions {
  title?: string;
  /** Width in pixels (default 860). */
  width?: number;
  /** Height of each panel in pixels (default 320). */
  panelHeight?: number;
  /** Panels side by side in each row, filled left to right (default 1). */
  columns?: number;
  legend?: readonly LegendEntry[];
}

const MARGIN = { left: 76, right: 24, top: 32, bottom: 50 };
const FONT = `font-family="Helvetica, Arial, sans-serif"`;
const DASH = `stroke-dasharray="7 4"`;
const TARGET_TICKS = 6;

/**
 * Renders `panels` as an SVG document (a string).
 *
 * @example
 * ```ts
 * import { lineChartSvg } from "./svg_chart.ts";
 * const svg = lineChartSvg([{
 *   title: "loss", xLabel: "step", yLabel: "loss",
 *   series: [{ label: "run", color: "#1f77b4", points: [[1, 2.3], [2, 1.1], [3, 0.7]] }],
 * }]);
 * console.log(svg.startsWith("<svg")); // true
 * ```
 */
export function lineChartSvg(panels: readonly ChartPanel[], options: ChartOptions = {}): string {
  const width = options.width ?? 860;
  const panelHeight = options.panelHeight ?? 320;
  const parts: string[] = [];
  let y = 8;
  if (options.title) {
    y += 20;
    parts.push(
      `<text x="${width / 2}" y="${y}" text-anchor="middle" font-size="17" font-weight="bold">${
        xml(options.title)
      }</text>`,
    );
  }
  const legend = legendSvg(options.legend ?? [], y + 10, width);
  parts.push(legend.svg);
  y = legend.bottom + 4;
  const columns = options.columns ?? 1;
  const panelWidth = width / columns;
  panels.forEach((panel, i) => {
    const top = y + Math.floor(i / columns) * panelHeight;
    parts.push(panelSvg(panel, top, panelWidth, panelHeight, (i % columns) * panelWidth));
  });
  y += Math.ceil(panels.length / columns) * panelHeight;
  const height = Math.ceil(y);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

/** Legend items left to right, wrapping into rows; returns the y below the last row. */
function legendSvg(
  entries: readonly LegendEntry[],
  top: number,
  width: number,
): { svg: string; bottom: number } {
  const rowHeight = 20;
  const items: string[] = [];
  let x = MARGIN.left;
  let y = top;
  for (const entry of entries) {
    const itemWidth = 34 + 7 * entry.label.length + 22;
    if (x + itemWidth > width - MARGIN.right && x > MARGIN.left) {
      x = MARGIN.left;
      y += rowHeight;
    }
    const mid = y + rowHeight / 2;
    items.push(
      `<line x1="${x}" y1="${mid}" x2="${x + 26}" y2="${mid}" stroke="${entry.color}" ` +
        `stroke-width="2.5"${entry.dashed ? " " + DASH : ""}/>`,
      `<text x="${x + 32}" y="${mid + 4}">${xml(entry.label)}</text>`,
    );
    x += itemWidth;
  }
  const bottom = entries.length ? y + rowHeight : top;
  return { svg: `<g class="legend">\n${items.join("\n")}\n</g>`, bottom };
}

function panelSvg(
  panel: ChartPanel,
  top: number,
  width: number,
  height: number,
  left: number,
): string {
  const plot = {
    left: left + MARGIN.left,
    right: left + width - MARGIN.right,
    top: top + MARGIN.top,
    bottom: top + height - MARGIN.bottom,
  };
  const visible = (p: readonly [number, number]) =>
    Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!panel.logY || p[1] > 0);
  const points = panel.series.flatMap((s) => s.points.filter(visible));
  const xs = axis(points.map((p) => p[0]), plot.left, plot.right, false);
  const ys = axis(points.map((p) => p[1]), plot.bottom, plot.top, panel.logY ?? false);
  const out: string[] = [
    `<g class="panel">`,
    `<text x="${plot.left}" y="${top + 20}" font-size="14" font-weight="bold">${
      xml(panel.title)
    }</text>`,
  ];
  for (const t of xs.ticks) {
    const px = fmt(xs.toPx(t));
    out.push(
      `<line x1="${px}" y1="${plot.top}" x2="${px}" y2="${plot.bottom}" stroke="#e6e6e6"/>`,
      `<text x="${px}" y="${plot.bottom + 17}" text-anchor="middle" fill="#333">${
        xs.label(t)
      }</text>`,
    );
  }
  for (const t of ys.ticks) {
    const py = fmt(ys.toPx(t));
    out.push(
      `<line x1="${plot.left}" y1="${py}" x2="${plot.right}" y2="${py}" stroke="#e6e6e6"/>`,
      `<text x="${plot.left - 7}" y="${fmt(ys.toPx(t) + 4)}" text-anchor="end" fill="#333">${
        ys.label(t)
      }</text>`,
    );
  }
  out.push(
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" ` +
      `height="${plot.bottom - plot.top}" fill="none" stroke="#777"/>`,
    `<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 38}" text-anchor="middle">${
      xml(panel.xLabel)
    }</text>`,
    `<text transform="translate(${plot.left - 56} ${(plot.top + plot.bottom) / 2}) rotate(-90)" ` +
      `text-anchor="middle">${xml(panel.yLabel)}</text>`,
  );
  for (const s of panel.series) {
    const dash = s.dashed ? " " + DASH : "";
    out.push(`<g class="series"><title>${xml(s.label)}</title>`);
    for (const run of runsOf(s.points, visible)) {
      const coords = run.map(([x, y]) => `${fmt(xs.toPx(x))},${fmt(ys.toPx(y))}`).join(" ");
      out.push(
        `<polyline points="${coords}" fill="none" stroke="${s.color}" stroke-width="2" ` +
          `stroke-linejoin="round"${dash}/>`,
      );
    }
    if (s.markers) {
      const fill = s.dashed ? "white" : s.color;
      for (const [x, y] of s.points.filter(visible)) {
        out.push(
          `<circle cx="${fmt(xs.toPx(x))}" cy="${fmt(ys.toPx(y))}" r="3.5" fill="${fill}" ` +
            `stroke="${s.color}" stroke-width="1.5"/>`,
        );
      }
    }
    out.push(`</g>`);
  }
  out.push(`</g>`);
  return out.join("\n");
}

/** Consecutive stretches of visible points. */
function runsOf<P>(points: readonly P[], visible: (p: P) => boolean): P[][] {
  const runs: P[][] = [[]];
  for (const p of points) {
    if (visible(p)) runs[runs.length - 1].push(p);
    else if (runs[runs.length - 1].length) runs.push([]);
  }
  return runs.filter((r) => r.length > 0);
}

interface Axis {
  ticks: number[];
  toPx(value: number): number;
  label(value: number): string;
}

/** An axis over `values` mapped onto pixels `from`..`to`, its ends rounded to ticks. */
function axis(values: number[], from: number, to: number, log: boolean): Axis {
  let lo = values.length ? Math.min(...values) : log ? 1 : 0;
  let hi = values.length ? Math.max(...values) : log ? 10 : 1;
  if (log) {
    const ticks = logTicks(lo, hi);
    const [a, b] = [Math.log10(ticks[0]), Math.log10(ticks[ticks.length - 1])];
    return {
      ticks,
      toPx: (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from),
      label: (v) => String(Number(v.toPrecision(3))),
    };
  }
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) / 10 || 1), hi + (Math.abs(hi) / 10 || 1)];
  const step = niceStep((hi - lo) / (TARGET_TICKS - 1));
  const first = Math.floor(lo / step), last = Math.ceil(hi / step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  const ticks = Array.from({ length: last - first + 1 }, (_, i) => (first + i) * step);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  return {
    ticks,
    toPx: (v) => from + ((v - a) / (b - a)) * (to - from),
    label: (v) => v.toFixed(decimals),
  };
}

/** 1, 2 or 5 times a power of ten, at least `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const nice = [1, 2, 5, 10].find((m) => m * magnitude >= raw * (1 - 1e-9)) ?? 10;
  return nice * magnitude;
}

/** Powers of ten spanning [lo, hi]; with 1, 2, 5 between them when the span is short. */
function logTicks(lo: number, hi: number): number[] {
  const first = Math.floor(Math.log10(lo));
  const last = Math.max(Math.ceil(Math.log10(hi)), first + 1);
  const mantissas = last - first <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = first; e <= last; e++) {
    for (const m of e === last ? [1] : mantissas) ticks.push(Number((m * 10 ** e).toPrecision(1)));
  }
  return ticks;
}

function fmt(px: number): string {
  return px.toFixed(1);
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}
