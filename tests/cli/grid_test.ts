import assert from "node:assert/strict";
import { gridRuns, loadGridFile, parseGridFile } from "../../cli/grid.ts";
import { DataFormatError } from "../../core/errors.ts";
import { inTempDir } from "../temp_dir.ts";

const expand = (grid: unknown) => gridRuns(parseGridFile(JSON.stringify(grid), "g.json"));

Deno.test("grid: the runs are the cartesian product of the axes over the base, last axis fastest", () => {
  const runs = expand({
    base: { epochs: 3, lr: 0.1, "batch-size": 32 },
    grids: {
      main: {
        axes: { model: ["784-28-10", "784-112-28-10"], activation: ["selu", "tanh", "sin"] },
      },
      lr: { base: { epochs: 2 }, axes: { lr: [0.01, 0.0005] } },
    },
  });
  assert.deepEqual(runs.map((r) => `${r.grid}/${r.name}`), [
    "main/784-28-10_selu",
    "main/784-28-10_tanh",
    "main/784-28-10_sin",
    "main/784-112-28-10_selu",
    "main/784-112-28-10_tanh",
    "main/784-112-28-10_sin",
    "lr/lr=0.01",
    "lr/lr=0.0005",
  ]);
  assert.deepEqual(runs[4].labels, { model: "784-112-28-10", activation: "tanh" });
  assert.deepEqual(runs[4].args, [
    "--epochs=3",
    "--lr=0.1",
    "--batch-size=32",
    "--model=784-112-28-10",
    "--activation=tanh",
  ]);
  assert.equal(runs[4].epochs, 3);
  // The grid's base overrides the file's, an axis overrides both.
  assert.deepEqual(runs[7].args, ["--epochs=2", "--lr=0.0005", "--batch-size=32"]);
  assert.equal(runs[7].epochs, 2);
});

Deno.test("grid: object values set several flags; labels name them, booleans become bare flags", () => {
  const runs = expand({
    grids: {
      losses: {
        axes: {
          loss: [
            "cross-entropy",
            { label: "hinge m=5", loss: "multi-margin", margin: 5 },
            { loss: "multi-margin", margin: 0.5, "softmax-output": true },
            { label: "plain", loss: "mse", "softmax-output": false },
          ],
          normalize: [true, false],
        },
      },
    },
  });
  assert.deepEqual(runs.map((r) => r.name), [
    "cross-entropy_normalize=true",
    "cross-entropy_normalize=false",
    "hinge-m=5_normalize=true",
    "hinge-m=5_normalize=false",
    "loss=multi-margin-margin=0.5-softmax-output=true_normalize=true",
    "loss=multi-margin-margin=0.5-softmax-output=true_normalize=false",
    "plain_normalize=true",
    "plain_normalize=false",
  ]);
  assert.deepEqual(runs[2].labels, { loss: "hinge m=5", normalize: "true" });
  assert.deepEqual(runs[2].args, ["--loss=multi-margin", "--margin=5", "--normalize"]);
  assert.equal(runs[4].labels.loss, "loss=multi-margin margin=0.5 softmax-output=true");
  assert.deepEqual(runs[5].args, ["--loss=multi-margin", "--margin=0.5", "--softmax-output"]);
  assert.deepEqual(runs[7].args, ["--loss=mse"]);
  assert.equal(runs[0].epochs, 20, "train's default epochs");
});

Deno.test("grid: run names are filesystem-safe and unique within a grid", () => {
  const runs = expand({
    grids: {
      g: {
        axes: {
          act: [
            { label: "tanh / x", activation: "tanh" },
            { label: "tanh * x", activation: "tanh" },
            { label: "../..", activation: "relu" },
            { label: "tanh x", activation: "tanh" },
          ],
        },
      },
      h: { axes: { act: [{ label: "tanh / x", activation: "tanh" }] } },
    },
  });
  assert.deepEqual(runs.map((r) => `${r.grid}/${r.name}`), [
    "g/tanh-x",
    "g/tanh-x-2",
    "g/value",
    "g/tanh-x-3",
    "h/tanh-x",
  ]);
});

Deno.test("grid: a bad file or flag is one DataFormatError naming the file, grid, run and flag", async () => {
  const cases: [string, RegExp][] = [
    ["{", /^g\.json: not valid JSON/],
    ["[]", /^g\.json: the file: expected a JSON object, got \[\]/],
    ['{"grids": {}}', /^g\.json: "grids": expected at least one named grid/],
    ['{"grid": {}}', /^g\.json: the file: unexpected key "grid"/],
    ['{"grids": {"g": {"axis": {}}}}', /^g\.json: grid "g": unexpected key "axis"/],
    ['{"grids": {"g": {"axes": {}}}}', /^g\.json: grid "g" "axes": expected at least one axis/],
    [
      '{"grids": {"g": {"axes": {"lr": []}}}}',
      /^g\.json: grid "g" axis "lr": expected a non-empty list of values$/,
    ],
    [
      '{"grids": {"g": {"axes": {"lr": [[0.1]]}}}}',
      /^g\.json: grid "g" axis "lr" value 1: expected a JSON object, got \[0\.1\]/,
    ],
    [
      '{"grids": {"g": {"axes": {"loss": [{"label": "x"}]}}}}',
      /^g\.json: grid "g" axis "loss" value 1: expected at least one flag/,
    ],
    [
      '{"grids": {"g": {"axes": {"loss": [{"loss": "mse", "label": 3}]}}}}',
      /^g\.json: grid "g" axis "loss" value 1: expected "label" to be a non-empty string, got 3/,
    ],
    [
      '{"base": {"--lr": 1}, "grids": {"g": {"axes": {"lr": [1]}}}}',
      /^g\.json: base: "--lr": flag names are written without dashes/,
    ],
    [
      '{"base": {"lr": null}, "grids": {"g": {"axes": {"lr": [1]}}}}',
      /^g\.json: base: --lr: expected a string, number or boolean, got null/,
    ],
    ['{"grids": {"../x": {"axes": {"lr": [1]}}}}', /^g\.json: grid "\.\.\/x": a grid name is/],
    ['{"grids": {"g": {"axes": {"a b": [1]}}}}', /^g\.json: grid "g" axis "a b": an axis name/],
    [
      '{"grids": {"g": {"axes": {"lr": [0.1, -1]}}}}',
      /^g\.json: grid "g", run "lr=-1": --lr: expected a number >= 0, got -1$/,
    ],
    [
      '{"grids": {"g": {"axes": {"colour": ["red"]}}}}',
      /^g\.json: grid "g", run "red": --colour: not a flag of train$/,
    ],
    [
      '{"grids": {"g": {"axes": {"activation": ["relu", "swish"]}}}}',
      /^g\.json: grid "g", run "swish": --activation: expected one of relu, .*, got "swish"$/,
    ],
    [
      '{"base": {"lr": "fast"}, "grids": {"g": {"axes": {"epochs": [1]}}}}',
      /^g\.json: grid "g", run "epochs=1": --lr: expected a number, got "fast"$/,
    ],
    [
      '{"grids": {"g": {"axes": {"nesterov": ["yes"]}}}}',
      /^g\.json: grid "g", run "yes": --nesterov: expected true or false, got "yes"$/,
    ],
    [
      '{"grids": {"g": {"axes": {"lr": [true]}}}}',
      /^g\.json: grid "g", run "lr=true": --lr: expected a number, got true$/,
    ],
    [
      '{"grids": {"g": {"axes": {"model": ["784-x-10"]}}}}',
      /^g\.json: grid "g", run "784-x-10": --model: expected layer sizes/,
    ],
    [
      '{"grids": {"g": {"axes": {"out": ["runs/x"]}}}}',
      /^g\.json: grid "g", run "runs-x": --out: set by the sweep itself$/,
    ],
  ];
  for (const [text, pattern] of cases) {
    assert.throws(
      () => gridRuns(parseGridFile(text, "g.json")),
      (e: Error) =>
        e instanceof DataFormatError && pattern.test(e.message) && !/\n/.test(e.message),
      text,
    );
  }
  await inTempDir(async (dir) => {
    await assert.rejects(
      loadGridFile(`${dir}/none.json`),
      /none\.json: cannot read the grid file: no such file/,
    );
  });
});

Deno.test("grid: every ready grid in grids/ parses and each run's flags pass train's parser", async () => {
  const dir = new URL("../../grids/", import.meta.url);
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json"));
  assert.ok(names.includes("mlp_study_digits.json"), "grids/mlp_study_digits.json is missing");
  for (const name of names) {
    const runs = gridRuns(await loadGridFile(new URL(name, dir).pathname));
    assert.ok(runs.length > 0, name);
  }
});

Deno.test("grid: the study's two grid files differ only in --data, and cover issue 17's runs", async () => {
  const read = async (name: string) =>
    gridRuns(await loadGridFile(new URL(`../../grids/${name}`, import.meta.url).pathname));
  const digits = await read("mlp_study_digits.json");
  const fashion = await read("mlp_study_fashion.json");
  const data = (args: readonly string[], value: string) =>
    args.map((a) => (a.startsWith("--data=") ? `--data=${value}` : a));
  assert.deepEqual(fashion.map((r) => r.args), digits.map((r) => data(r.args, "fashion-mnist")));
  assert.ok(digits.every((r) => r.args.includes("--data=mnist") && r.epochs === 10));
  const count = (grid: string) => digits.filter((r) => r.grid === grid).length;
  assert.deepEqual(
    [
      "main",
      "lr",
      "momentum",
      "batch-size",
      "two-layers",
      "focal",
      "margin-form",
      "seeds",
      "focal-seeds",
    ]
      .map(
        count,
      ),
    [15, 3, 4, 3, 4, 4, 6, 15, 10],
  );
  const base = digits.find((r) => r.grid === "main" && r.name === "tanh_cross-entropy")!;
  for (
    const flag of [
      "--model=784-28-10",
      "--optimizer=sgd",
      "--lr=0.01",
      "--weight-decay=0.0001",
      "--momentum=0.9",
      "--batch-size=100",
    ]
  ) assert.ok(base.args.includes(flag), flag);
  const sum = digits.find((r) => r.grid === "margin-form" && r.name === "hinge-m=5_sum")!;
  assert.ok(sum.args.includes("--margin-form=sum") && sum.args.includes("--margin=5"));
});
