import assert from "node:assert/strict";
import { main } from "../../cli/main.ts";
import type { SweepRecord } from "../../cli/sweep_record.ts";
import { readMetrics } from "../../core/metrics/jsonl.ts";
import { writeDigits } from "../coordinator/job_fixtures.ts";
import { inTempDir } from "../temp_dir.ts";

/** Runs `gradmesh args` in this process, capturing what it prints. */
async function gradmesh(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const printed = { out: [] as string[], err: [] as string[] };
  const { log, error } = console;
  console.log = (...xs: unknown[]) => printed.out.push(xs.join(" "));
  console.error = (...xs: unknown[]) => printed.err.push(xs.join(" "));
  try {
    const code = await main(args);
    return { code, out: printed.out.join("\n"), err: printed.err.join("\n") };
  } finally {
    Object.assign(console, { log, error });
  }
}

const readRecord = async (dir: string): Promise<SweepRecord> =>
  JSON.parse(await Deno.readTextFile(`${dir}/sweep.json`));

Deno.test("sweep runs a grid as train processes, reports a failure, resumes, and report tabulates it", () =>
  inTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/digits`);
    const data = await writeDigits(`${dir}/digits`, 100, 40);
    const grid = `${dir}/tiny.json`;
    await Deno.writeTextFile(
      grid,
      JSON.stringify({
        base: { data, model: "784-8-10", epochs: 2, "batch-size": 25, lr: 0.1 },
        grids: {
          act: {
            axes: {
              activation: [
                "relu",
                "tanh",
                { label: "no data", data: `idx:${dir}/missing`, activation: "relu" },
              ],
            },
          },
        },
      }),
    );
    const out = `${dir}/sweep`;
    const first = await gradmesh([
      "sweep",
      grid,
      "--parallel",
      "2",
      "--out",
      out,
      "--backend",
      "cpu",
    ]);
    assert.equal(first.code, 1, first.out + first.err);
    assert.match(first.out, /^sweep: 3 runs in 1 grid; 2 at a time into /);
    assert.match(first.out, /\] act\/relu ok in /);
    assert.match(first.out, /\] act\/no-data FAILED \(exit 2\) in .*: gradmesh train: .*missing/);
    assert.match(first.out, /sweep: 2 ok, 1 failed; .*deno task report --sweep /);
    assert.match(first.err, /^failed: act\/no-data: gradmesh train: .*missing.*$/);
    const record = await readRecord(out);
    assert.equal(record.grid_file, grid);
    assert.deepEqual(record.grids, [{ name: "act", axes: ["activation"] }]);
    assert.deepEqual(
      record.runs.map((r) => [r.dir, r.status, r.exit_code, r.labels.activation]),
      [
        ["act/relu", "ok", 0, "relu"],
        ["act/tanh", "ok", 0, "tanh"],
        ["act/no-data", "failed", 2, "no data"],
      ],
    );
    assert.ok(record.runs.every((r) => r.wall_s! > 0));
    assert.ok(record.runs[1].args.includes("--backend=cpu"));
    const epochs = (await readMetrics(`${out}/act/tanh/metrics.jsonl`))
      .filter((r) => r.kind === "epoch").map((r) => r.epoch);
    assert.deepEqual(epochs, [1, 2]);
    assert.match(await Deno.readTextFile(`${out}/act/no-data/output.log`), /missing/);

    // An interrupted run (its metrics stop at epoch 1) runs again; a finished one does not.
    const tanh = `${out}/act/tanh/metrics.jsonl`;
    const lines = (await Deno.readTextFile(tanh)).split("\n");
    await Deno.writeTextFile(
      tanh,
      lines.slice(0, lines.findIndex((l) => /"epoch"/.test(l)) + 1).join("\n"),
    );
    const reluBefore = await Deno.readTextFile(`${out}/act/relu/metrics.jsonl`);
    const second = await gradmesh(["sweep", grid, "--out", out, "--backend", "cpu"]);
    assert.equal(second.code, 1);
    assert.match(second.out, /^sweep: 3 runs in 1 grid, 1 already done; 1 at a time/);
    assert.match(second.out, /\[1\/2\] act\/tanh ok/);
    assert.match(second.out, /\[2\/2\] act\/no-data FAILED/);
    assert.equal(await Deno.readTextFile(`${out}/act/relu/metrics.jsonl`), reluBefore);
    const again = await readRecord(out);
    assert.equal(again.runs[0].wall_s, record.runs[0].wall_s, "a skipped run keeps its time");
    assert.deepEqual(again.runs.map((r) => r.status), ["ok", "ok", "failed"]);

    const report = await gradmesh(["report", "--sweep", out]);
    assert.equal(report.code, 0, report.err);
    assert.match(report.out, /wrote .*report\.md and 3 SVG files/);
    const md = await Deno.readTextFile(`${out}/report.md`);
    assert.match(md, /^## act$/m);
    assert.match(md, /\[activation\]\(act\/overlay-activation\.svg\)/);
    const rows = md.split("\n").filter((l) => l.startsWith("| "));
    assert.equal(
      rows[0],
      "| activation | train loss | train acc | test loss | test acc | time | curves |",
    );
    assert.equal(rows.length, 5);
    const final = (await readMetrics(`${out}/act/relu/metrics.jsonl`)).at(-1)!;
    assert.ok(final.kind === "epoch");
    assert.equal(
      rows[2],
      `| relu | ${final.train_loss.toFixed(4)} | ${(100 * final.train_acc).toFixed(2)}% | ` +
        `${final.test_loss!.toFixed(4)} | ${(100 * final.test_acc!).toFixed(2)}% | ` +
        `${again.runs[0].wall_s!.toFixed(1)} s | [svg](act/relu/curves.svg) |`,
    );
    assert.match(rows[4], /^\| no data \| — \| — \| — \| — \| [\d.]+ s \| failed \|$/);
    const curves = await Deno.readTextFile(`${out}/act/relu/curves.svg`);
    assert.match(curves, /<title>relu train loss<\/title>/);
    assert.match(curves, /<title>relu test accuracy<\/title>/);
    const overlay = await Deno.readTextFile(`${out}/act/overlay-activation.svg`);
    for (const label of ["activation relu", "activation tanh", "Test accuracy"]) {
      assert.ok(overlay.includes(`>${label}</text>`), label);
    }
    assert.match(overlay, /<title>tanh test accuracy<\/title>/);
    assert.doesNotMatch(overlay, /train accuracy/);

    // A run whose arguments changed runs again, finished or not.
    await Deno.writeTextFile(grid, (await Deno.readTextFile(grid)).replace('"lr":0.1', '"lr":0.2'));
    const third = await gradmesh(["sweep", grid, "--out", out, "--backend", "cpu"]);
    assert.match(third.out, /^sweep: 3 runs in 1 grid; 1 at a time/);
    assert.match(third.out, /\[3\/3\]/);
    assert.ok((await readRecord(out)).runs[0].args.includes("--lr=0.2"));
  }));

Deno.test("sweep: a bad grid exits 2 with one line naming file, grid, run and flag, before any run", () =>
  inTempDir(async (dir) => {
    const grid = `${dir}/bad.json`;
    await Deno.writeTextFile(
      grid,
      JSON.stringify({ grids: { g: { axes: { lr: [0.1], momentum: [0.9, "high"] } } } }),
    );
    const cases: [string[], RegExp][] = [
      [
        ["sweep", grid, "--out", `${dir}/out`],
        /^gradmesh sweep: .*bad\.json: grid "g", run "lr=0\.1_high": --momentum: expected a number, got "high"$/,
      ],
      [["sweep", `${dir}/none.json`], /^gradmesh sweep: .*none\.json: cannot read the grid file/],
      [["sweep"], /^gradmesh sweep: GRID\.json: expected one grid file, got 0$/],
      [["sweep", grid, "--parallel", "0"], /^gradmesh sweep: --parallel: expected an integer >= 1/],
      [["report", "--sweep", `${dir}/out`], /^report: .*sweep\.json: no such file/],
      [["report", "--sweep", dir, "--out", "x.svg"], /^report: --out: the report of --sweep/],
      [["report", "--sweep", dir, "a.jsonl"], /^report: a\.jsonl: metrics files cannot be given/],
    ];
    for (const [args, pattern] of cases) {
      const r = await gradmesh(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.err, pattern);
      assert.equal(r.out, "");
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["bad.json"]);
  }));

Deno.test("sweep --help lists its flags", async () => {
  const r = await gradmesh(["sweep", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /usage: deno task sweep GRID\.json/);
  assert.match(r.out, /--parallel <integer>.*\(default: 1\)/);
});
