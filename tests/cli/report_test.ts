import assert from "node:assert/strict";
import { runReport } from "../../cli/report.ts";
import { MetricsLog } from "../../core/metrics/jsonl.ts";
import { inTempDir } from "../temp_dir.ts";

/** Runs the subcommand, capturing what it prints. */
async function report(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = { out: [] as string[], err: [] as string[] };
  const { log, error } = console;
  console.log = (...xs: unknown[]) => printed.out.push(xs.join(" "));
  console.error = (...xs: unknown[]) => printed.err.push(xs.join(" "));
  try {
    const code = await runReport(args);
    return { code, out: printed.out.join("\n"), err: printed.err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

/** A metrics file of `epochs` epochs, 4 step records each, test metrics every other epoch. */
async function writeRun(path: string, epochs: number): Promise<void> {
  const log = await MetricsLog.open(path);
  const common = { lr: 0.1, samples_per_s: 5000, wall_s: 1 };
  for (let e = 1; e <= epochs; e++) {
    for (let s = 1; s <= 4; s++) {
      const step = (e - 1) * 4 + s;
      await log.write({
        kind: "step",
        epoch: e,
        step,
        train_loss: 2 / step,
        train_acc: 0.5,
        ...common,
      });
    }
    const tested = e % 2 === 0;
    await log.write({
      kind: "epoch",
      epoch: e,
      step: e * 4,
      train_loss: 1 / e,
      train_acc: 1 - 0.5 / e,
      test_loss: tested ? 1.1 / e : null,
      test_acc: tested ? 1 - 0.6 / e : null,
      ...common,
    });
  }
  await log.close();
}

/** Series title → number of points in its polyline. */
function polylinePoints(svg: string): Map<string, number> {
  const matches = svg.matchAll(
    /<g class="series"><title>(.*?)<\/title>\n<polyline points="([^"]*)"/g,
  );
  return new Map([...matches].map(([, title, pts]) => [title, pts.split(" ").length]));
}

Deno.test("report renders loss and accuracy of two metrics files into one SVG", () =>
  inTempDir(async (dir) => {
    await writeRun(`${dir}/sgd.jsonl`, 4);
    await writeRun(`${dir}/adam.jsonl`, 2);
    const out = `${dir}/report.svg`;
    const r = await report([`${dir}/sgd.jsonl`, `${dir}/adam.jsonl`, "--out", out]);
    assert.equal(r.err, "");
    assert.equal(r.code, 0);
    assert.match(r.out, new RegExp(`wrote ${out}`));
    const svg = await Deno.readTextFile(out);
    assert.match(svg, /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
    assert.equal(svg.match(/<svg/g)?.length, 1);
    for (const name of ["sgd.jsonl", "adam.jsonl", "Loss", "Accuracy", "train", "test"]) {
      assert.ok(svg.includes(`>${name}</text>`), name);
    }
    assert.deepEqual(
      polylinePoints(svg),
      new Map([
        ["sgd.jsonl train loss", 16],
        ["sgd.jsonl test loss", 2],
        ["adam.jsonl train loss", 8],
        ["adam.jsonl test loss", 1],
        ["sgd.jsonl train accuracy", 4],
        ["sgd.jsonl test accuracy", 2],
        ["adam.jsonl train accuracy", 2],
        ["adam.jsonl test accuracy", 1],
      ]),
    );
    const colour = (title: string) =>
      svg.match(new RegExp(`${title}</title>\n<polyline [^>]*stroke="(#\\w+)"`))![1];
    assert.equal(colour("sgd.jsonl train loss"), colour("sgd.jsonl test accuracy"));
    assert.notEqual(colour("sgd.jsonl train loss"), colour("adam.jsonl train loss"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "adam.csv",
      "adam.jsonl",
      "report.svg",
      "sgd.csv",
      "sgd.jsonl",
    ]);
  }));

Deno.test("report names files with the same basename by their directories; --log-loss", () =>
  inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await writeRun(`${dir}/a/metrics.jsonl`, 2);
    await writeRun(`${dir}/b/metrics.jsonl`, 2);
    const out = `${dir}/r.svg`;
    const r = await report([
      `${dir}/a/metrics.jsonl`,
      `${dir}/b/metrics.jsonl`,
      `--out=${out}`,
      "--log-loss",
    ]);
    assert.equal(r.code, 0);
    const svg = await Deno.readTextFile(out);
    assert.ok(svg.includes(">a/metrics.jsonl</text>") && svg.includes(">b/metrics.jsonl</text>"));
    assert.ok(svg.includes(">loss (log scale)</text>"));
  }));

Deno.test("report takes run folders: their metrics.jsonl, named by the folder", () =>
  inTempDir(async (dir) => {
    for (const run of ["sgd", "adam"]) {
      await Deno.mkdir(`${dir}/${run}`);
      await writeRun(`${dir}/${run}/metrics.jsonl`, 2);
    }
    const out = `${dir}/r.svg`;
    const r = await report([`${dir}/sgd`, `${dir}/adam/`, "--out", out]);
    assert.equal(r.code, 0, r.err);
    const svg = await Deno.readTextFile(out);
    assert.ok(svg.includes(">sgd</text>") && svg.includes(">adam</text>"));
    assert.equal(polylinePoints(svg).get("adam train loss"), 8);
    await Deno.mkdir(`${dir}/nothing`);
    const bad = await report([`${dir}/sgd`, `${dir}/nothing`, "--out", out]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /^report: .*nothing: a folder without metrics\.jsonl: expected a run folder$/,
    );
  }));

Deno.test("report: bad usage and bad files give one line naming the culprit and exit 2", () =>
  inTempDir(async (dir) => {
    await writeRun(`${dir}/ok.jsonl`, 1);
    await Deno.writeTextFile(`${dir}/bad.jsonl`, '{"kind":"step"\n');
    await Deno.writeTextFile(`${dir}/empty.jsonl`, "\n");
    const cases: [string[], RegExp][] = [
      [[`${dir}/ok.jsonl`, "--colour", "red"], /--colour/],
      [[], /FILE: expected at least one metrics file/],
      [
        [`${dir}/ok.jsonl`, `${dir}/missing.jsonl`],
        /missing\.jsonl: cannot read metrics: no such file/,
      ],
      [[`${dir}/bad.jsonl`], /bad\.jsonl: line 1: not valid JSON/],
      [[`${dir}/empty.jsonl`], /empty\.jsonl: no metrics records/],
      [[`${dir}/ok.jsonl`, "--out", `${dir}/no/such/dir/r.svg`], /--out: cannot write/],
    ];
    for (const [args, pattern] of cases) {
      const r = await report(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.err, pattern);
      assert.equal(r.err.split("\n").length, 1);
      assert.equal(r.out, "");
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "bad.jsonl",
      "empty.jsonl",
      "ok.csv",
      "ok.jsonl",
    ]);
  }));

Deno.test("report --help lists the flags and exits 0", async () => {
  const r = await report(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /Usage: gradmesh report/);
  assert.match(r.out, /--out <string>.*\(default: report\.svg\)/);
  assert.match(r.out, /--log-loss/);
});
