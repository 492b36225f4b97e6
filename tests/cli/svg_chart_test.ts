import assert from "node:assert/strict";
import { type ChartPanel, lineChartSvg } from "../../cli/svg_chart.ts";

/** Checks that every tag is closed in order and attributes are quoted (a small XML check). */
function assertWellFormed(svg: string): void {
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" /);
  const stack: string[] = [];
  for (const [tag, close, name, attrs, selfClose] of svg.matchAll(/<(\/?)(\w+)([^>]*?)(\/?)>/g)) {
    assert.match(attrs, /^(\s+[\w:-]+="[^"<>]*")*\s*$/, `attributes of ${tag}`);
    if (close) assert.equal(stack.pop(), name, `closing ${tag}`);
    else if (!selfClose) stack.push(name);
  }
  assert.deepEqual(stack, []);
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
  const text = svg.replace(/<[^>]*>/g, "");
  assert.doesNotMatch(text, /[<>]|&(?!amp;|lt;|gt;|quot;)/, "text is escaped");
}

/** Series groups: title → the point count of each of its polylines, and its marker count. */
function seriesOf(svg: string): Map<string, { lines: number[]; markers: number }> {
  const out = new Map<string, { lines: number[]; markers: number }>();
  for (
    const [, title, body] of svg.matchAll(/<g class="series"><title>(.*?)<\/title>(.*?)<\/g>/gs)
  ) {
    const lines = [...body.matchAll(/<polyline points="([^"]*)"/g)]
      .map(([, pts]) => pts.split(" ").length);
    out.set(title, { lines, markers: body.match(/<circle /g)?.length ?? 0 });
  }
  return out;
}

const panel = (series: ChartPanel["series"], logY = false): ChartPanel => ({
  title: "Loss",
  xLabel: "step",
  yLabel: "loss",
  logY,
  series,
});

Deno.test("lineChartSvg draws panels, axes, ticks, labels and a legend", () => {
  const svg = lineChartSvg(
    [
      panel([{ label: "a", color: "#123456", points: [[1, 2.3], [2, 1.2], [3, 0.4]] }]),
      { ...panel([]), title: "Accuracy", xLabel: "epoch", yLabel: "accuracy (%)" },
    ],
    {
      title: "Report",
      legend: [{ label: "run-a", color: "#123456" }, {
        label: "test",
        color: "#444",
        dashed: true,
      }],
    },
  );
  assertWellFormed(svg);
  for (const text of ["Report", "Loss", "Accuracy", "step", "epoch", "accuracy (%)", "run-a"]) {
    assert.ok(svg.includes(`>${text}</text>`), text);
  }
  assert.equal(svg.match(/<g class="panel">/g)?.length, 2);
  const yTicks = [...svg.matchAll(/text-anchor="end" fill="#333">([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(yTicks.slice(0, 6), ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"]);
  assert.deepEqual(seriesOf(svg).get("a"), { lines: [3], markers: 0 });
});

Deno.test("lineChartSvg breaks lines at non-finite points and draws markers", () => {
  const svg = lineChartSvg([panel([
    { label: "gappy", color: "red", points: [[1, 1], [2, NaN], [3, 2], [4, 3], [5, Infinity]] },
    { label: "dots", color: "blue", points: [[1, 1], [5, 2]], dashed: true, markers: true },
  ])]);
  assertWellFormed(svg);
  assert.deepEqual(seriesOf(svg).get("gappy"), { lines: [1, 2], markers: 0 });
  assert.deepEqual(seriesOf(svg).get("dots"), { lines: [2], markers: 2 });
  assert.match(svg, /stroke="blue" stroke-width="2" stroke-linejoin="round" stroke-dasharray/);
});

Deno.test("lineChartSvg on a log axis drops non-positive values and ticks powers of ten", () => {
  const svg = lineChartSvg([panel([
    { label: "loss", color: "red", points: [[1, 2.3], [2, 0], [3, 0.05], [4, 0.002]] },
  ], true)]);
  assertWellFormed(svg);
  assert.deepEqual(seriesOf(svg).get("loss"), { lines: [1, 2], markers: 0 });
  const yTicks = [...svg.matchAll(/text-anchor="end" fill="#333">([^<]*)</g)].map((m) => m[1]);
  assert.deepEqual(yTicks, ["0.001", "0.01", "0.1", "1", "10"]);
});

Deno.test("lineChartSvg copes with empty, single-point and constant data", () => {
  for (
    const points of [[], [[3, 0.5]], [[1, 2], [2, 2]], [[0, 0], [0, 0]]] as [number, number][][]
  ) {
    for (const logY of [false, true]) {
      assertWellFormed(lineChartSvg([panel([{ label: "s", color: "red", points }], logY)]));
    }
  }
});

Deno.test("lineChartSvg escapes labels and wraps a long legend", () => {
  const legend = Array.from({ length: 12 }, (_, i) => ({
    label: `runs/<exp & "${i}">/metrics.jsonl`,
    color: "#000",
  }));
  const one = lineChartSvg([panel([])], { legend: legend.slice(0, 1) });
  const many = lineChartSvg([panel([])], { legend });
  assertWellFormed(many);
  assert.ok(many.includes("runs/&lt;exp &amp; &quot;3&quot;&gt;/metrics.jsonl"));
  const height = (svg: string) => Number(svg.match(/height="(\d+)"/)![1]);
  assert.ok(height(many) >= height(one) + 3 * 20, "legend rows push the panels down");
});
