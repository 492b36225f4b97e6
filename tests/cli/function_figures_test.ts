/**
 * `report --activations` and `report --losses`: the sampled curves (values and derivatives
 * against closed forms), the figures, and their one-line errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  activationFigure,
  lossFigure,
  parseRange,
  sampleCurve,
  writeFunctionFigure,
} from "../../cli/function_figures.ts";
import { UsageError } from "../../core/errors.ts";
import { activationFromName, activationNames } from "../../core/nn/activations/registry.ts";
import { mseLoss } from "../../core/loss/mse.ts";
import { quantileLoss } from "../../core/loss/regression.ts";
import { tensor } from "../../core/tensor.ts";
import { inTempDir } from "../temp_dir.ts";
import { runCli } from "./run_cli.ts";

const close = (got: ArrayLike<number>, want: (i: number) => number, tol: number, what: string) => {
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - want(i)) <= tol, `${what}[${i}]: ${got[i]} vs ${want(i)}`);
  }
};

Deno.test("sampleCurve: sin and its derivative cos; relu's derivative is 0 at 0, as backpropagated", async () => {
  const sin = activationFromName("sin");
  const c = await sampleCurve((x) => sin.forward(x), [-4, 4]);
  assert.equal(c.x.length, 201);
  assert.equal(c.x[100], 0);
  close(c.y, (i) => Math.sin(Math.fround(c.x[i])), 1e-6, "sin");
  close(c.dy, (i) => Math.cos(Math.fround(c.x[i])), 1e-6, "sin'");
  const relu = await sampleCurve((x) => activationFromName("relu").forward(x), [-1, 1]);
  assert.deepEqual([relu.dy[99], relu.dy[100], relu.dy[101]], [0, 0, 1]);
});

Deno.test("sampleCurve: losses against the prediction for a fixed target", async () => {
  const target = (x: Parameters<typeof mseLoss>[0]) =>
    tensor(x.backend, new Float32Array(x.size).fill(1), x.shape);
  const mse = await sampleCurve((x) => mseLoss(x, target(x), "none"), [-3, 5]);
  close(mse.y, (i) => (Math.fround(mse.x[i]) - 1) ** 2, 1e-5, "mse");
  close(mse.dy, (i) => 2 * (Math.fround(mse.x[i]) - 1), 1e-5, "mse'");
  const q = await sampleCurve((x) => quantileLoss(x, target(x), { q: 0.9, reduction: "none" }), [
    -3,
    5,
  ]);
  assert.ok(Math.abs(q.dy[0] + 0.9) < 1e-6 && Math.abs(q.dy[200] - 0.1) < 1e-6, `${q.dy[0]}`);
});

Deno.test("activationFigure: one panel per elementwise activation; `all` skips the others", async () => {
  const { svg, count } = await activationFigure("relu,sin,sign", [-4, 4]);
  assert.equal(count, 3);
  assert.equal(svg.match(/<g class="panel">/g)?.length, 3);
  for (const name of ["relu", "sin", "sign"]) assert.ok(svg.includes(`>${name}</text>`), name);
  // Two curves per panel: the function and its derivative (dashed).
  assert.equal(svg.match(/stroke-dasharray/g)!.length >= 3, true);
  const all = await activationFigure("all", [-4, 4]);
  const skipped = ["softmax", "log-softmax", "crelu", "maxout"];
  assert.equal(all.count, activationNames.length - skipped.length);
  for (const name of skipped) {
    await assert.rejects(
      () => activationFigure(name, [-4, 4]),
      (e: Error) =>
        e instanceof UsageError &&
        e.message === `--activations: ${name} is not elementwise (its output mixes or ` +
            "regroups its inputs): no curve to draw",
    );
  }
});

Deno.test("lossFigure: names the arguments and the target", async () => {
  const svg = await lossFigure("huber,quantile", 2, { delta: 0.5, beta: 1, quantile: 0.1 }, [
    -2,
    6,
  ]);
  assert.ok(svg.includes("huber (δ = 0.5)") && svg.includes("quantile (τ = 0.1)"));
  assert.ok(svg.includes("for the target y = 2"));
});

Deno.test("report --activations and --losses: bad flags are one line naming the flag", async () => {
  const values = { out: "x.svg", target: 0, delta: 1, beta: 1, quantile: 0.5 };
  const cases: [Record<string, unknown>, string[], string[], string][] = [
    [{ activations: "relu,swish" }, [], [], "--activations: expected names among relu"],
    [{ activations: "relu" }, ["m.jsonl"], [], "m.jsonl: metrics files cannot be given"],
    [{ activations: "relu", losses: "mse" }, [], [], "--losses: draws another figure"],
    [{ activations: "relu" }, [], ["target"], "--target: applies to --losses"],
    [{ losses: "mse", quantile: 1 }, [], [], "--quantile: must be below 1, got 1"],
    [{ losses: "mse", range: "3,1" }, [], [], '--range: expected LO,HI with LO < HI, got "3,1"'],
    [{ losses: "mse", sweep: "d" }, [], [], "--sweep: cannot be given with"],
  ];
  for (const [extra, positionals, given, message] of cases) {
    await assert.rejects(
      () => writeFunctionFigure({ ...values, ...extra }, positionals, new Set(given)),
      (e: Error) => e instanceof UsageError && e.message.startsWith(message),
      message,
    );
  }
  assert.deepEqual(parseRange(undefined, [-4, 4]), [-4, 4]);
  assert.deepEqual(parseRange("-1, 2.5", [0, 1]), [-1, 2.5]);
});

Deno.test("gradmesh report --losses writes the SVG; a bad name exits 2 with one line", () =>
  inTempDir(async (dir) => {
    const ok = await runCli([
      "report",
      "--losses",
      "mse,huber",
      "--target",
      "1",
      "--out",
      `${dir}/l.svg`,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), `report: wrote ${dir}/l.svg (2 losses)`);
    assert.ok((await Deno.readTextFile(`${dir}/l.svg`)).startsWith("<svg"));
    const bad = await runCli(["report", "--activations", "nope"]);
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr.trim().split("\n").length, 1);
    assert.match(bad.stderr, /^report: --activations: expected names among relu/);
  }));

Deno.test("docs/functions/*.svg are what the commands in docs/functions.md write today", async () => {
  // The committed files went through `deno fmt`, which only moves whitespace.
  const squeeze = (svg: string) => svg.replace(/\s+/g, "");
  const doc = async (name: string) =>
    squeeze(await Deno.readTextFile(new URL(`../../docs/functions/${name}`, import.meta.url)));
  const regenerate = "regenerate with the commands in docs/functions.md";
  const args = { delta: 1, beta: 1, quantile: 0.9 };
  const activations = (await activationFigure("all", [-4, 4])).svg;
  assert.equal(squeeze(activations), await doc("activations.svg"), regenerate);
  const losses = await lossFigure("all", 0, args, [-4, 4]);
  assert.equal(squeeze(losses), await doc("losses.svg"), regenerate);
});
