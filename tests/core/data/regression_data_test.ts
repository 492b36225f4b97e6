/**
 * The readers of regression data: CSV (header detection, targets by name or index, one
 * error naming file, row and column), NumPy `.npy` files written by NumPy itself
 * (tests/fixtures/make_npy.py), the synthetic sets, and the split they share.
 */

import assert from "node:assert/strict";
import { DataFormatError, UsageError } from "../../../core/errors.ts";
import { MAX_CSV_BYTES, parseCsv } from "../../../core/data/csv.ts";
import { loadNpy } from "../../../core/data/npy.ts";
import { LINEAR_TRUTH, syntheticTable } from "../../../core/data/synthetic.ts";
import { loadRegressionData } from "../../../core/train/regression_data.ts";
import { defaultRegressionSettings } from "../../../core/train/regression_settings.ts";
import { checkTaskData } from "../../../core/train/regression_data.ts";

const fixture = (name: string) => new URL(`../../fixtures/npy/${name}`, import.meta.url).pathname;

const throwsLine = (fn: () => unknown, type: new (...a: never[]) => Error, line: string) =>
  assert.throws(fn, (e) => e instanceof type && e.message === line, line);

Deno.test("csv: a header is detected, targets by name or index, the rest are features", () => {
  const text = "a, price ,b\n1,10,2\n3,30,4\n";
  const byName = parseCsv(text, "d.csv", { target: "price", header: "auto" });
  assert.deepEqual([...byName.features], [1, 2, 3, 4]);
  assert.deepEqual([...byName.targets], [10, 30]);
  const byIndex = parseCsv(text, "d.csv", { target: "2,0", header: "yes" });
  assert.deepEqual([...byIndex.targets], [2, 1, 4, 3]);
  assert.equal(byIndex.featureCount, 1);
  const noHeader = parseCsv("1,2\n3,4\r\n\n", "d.csv", { target: "", header: "auto" });
  assert.deepEqual([...noHeader.targets], [2, 4]);
  const quoted = parseCsv('"x ""a""",y\n"1.5",-25e-1\n', "d.csv", { target: "y", header: "auto" });
  assert.deepEqual([...quoted.features, ...quoted.targets], [1.5, -2.5]);
});

Deno.test("csv: a bad cell, row or target is one line naming file, row and column", () => {
  const opts = { target: "price", header: "auto" as const };
  const rows = Array.from({ length: 15 }, (_, i) => `${i},${i}`);
  throwsLine(
    () => parseCsv(`x,price\n${rows.join("\n")}\n1,n/a\n`, "data.csv", opts),
    DataFormatError,
    'data.csv: row 17, column "price": expected a number, got "n/a"',
  );
  throwsLine(
    () => parseCsv("1,2\n3,\n", "d.csv", { target: "", header: "no" }),
    DataFormatError,
    'd.csv: row 2, column 1: expected a number, got ""',
  );
  throwsLine(
    () => parseCsv("x,price\n1,2\n3\n", "d.csv", opts),
    DataFormatError,
    "d.csv: row 3: expected 2 cells, got 1",
  );
  throwsLine(
    () => parseCsv("x,y\n1,2\n", "d.csv", opts),
    UsageError,
    'target: no column "price" in d.csv (columns: x, y)',
  );
  throwsLine(
    () => parseCsv("x,y\n1,2\n", "d.csv", { target: "x,y", header: "auto" }),
    UsageError,
    "target: leaves no feature column in d.csv (2 columns)",
  );
  throwsLine(
    () => parseCsv("x,y\n", "d.csv", opts),
    DataFormatError,
    "d.csv: holds a header but no data rows",
  );
  throwsLine(
    () => parseCsv('"x,y\n', "d.csv", opts),
    DataFormatError,
    "d.csv: row 1: a quote is not closed",
  );
});

Deno.test("csv: a missing file or one over the size limit names the file", async () => {
  const settings = { ...defaultRegressionSettings, task: "regression" as const };
  await assert.rejects(
    () => loadRegressionData("csv:/nonexistent/d.csv", settings, 0),
    (e) =>
      e instanceof DataFormatError &&
      e.message === "/nonexistent/d.csv: cannot read the CSV file: no such file",
  );
  const big = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await Deno.truncate(big, MAX_CSV_BYTES + 1);
    await assert.rejects(
      () => loadRegressionData(`csv:${big}`, settings, 0),
      (e) => e instanceof DataFormatError && e.message.includes("is more than the limit of"),
    );
  } finally {
    await Deno.remove(big);
  }
});

Deno.test("npy: NumPy's files of every supported dtype read as f32", async () => {
  const x = await loadNpy(fixture("x_f8.npy"));
  assert.deepEqual(x.shape, [5, 2]);
  assert.deepEqual([...x.data.slice(0, 4)], [0.5, -1.25, 2, 3.5]);
  assert.deepEqual([...(await loadNpy(fixture("x_f4.npy"))).data], [...x.data]);
  assert.deepEqual([...(await loadNpy(fixture("y_i8_2d.npy"))).data.slice(0, 3)], [1, -2, 3]);
  assert.deepEqual([...(await loadNpy(fixture("y_i4.npy"))).data], [1, 2, 3, 4, 5]);
  const split = await loadRegressionData(
    `npy:${fixture("x_f4.npy")},${fixture("y_i8_2d.npy")}`,
    defaultRegressionSettings,
    0,
  );
  assert.equal(split.train.targets, 2);
  assert.deepEqual([...split.test.images, ...split.test.labels], [7.5, -2, 9, 10]);
});

Deno.test("npy: a file that is not a C-order little-endian 1-D or 2-D array names the header field", async () => {
  const rejects = async (name: string, message: string) =>
    await assert.rejects(
      () => loadNpy(fixture(name)),
      (e) => e instanceof DataFormatError && e.message.includes(message),
      `${name}: ${message}`,
    );
  await rejects("fortran.npy", "header field 'fortran_order': expected False (C order), got True");
  await rejects("big_endian.npy", "header field 'descr': expected one of <f4, <f8");
  await rejects("big_endian.npy", "got '>f4'");
  await rejects("complex.npy", "got '<c8'");
  await rejects("cube.npy", "header field 'shape': expected a 1-D or 2-D shape");
  await rejects("missing.npy", "missing.npy: cannot read the .npy file: no such file");
  await assert.rejects(
    () =>
      loadRegressionData(
        `npy:${fixture("x_f4.npy")},${fixture("y_short.npy")}`,
        defaultRegressionSettings,
        0,
      ),
    (e) =>
      e instanceof DataFormatError &&
      /y_short\.npy: header field 'shape': expected 5 rows/.test(e.message),
  );
  const truncated = await Deno.makeTempFile({ suffix: ".npy" });
  const bytes = await Deno.readFile(fixture("x_f4.npy"));
  await Deno.writeFile(truncated, bytes.subarray(0, bytes.length - 3));
  await assert.rejects(
    () => loadNpy(truncated),
    (e) =>
      e instanceof DataFormatError && e.message.includes("needs 40 data bytes, the file holds 37"),
  );
  await Deno.remove(truncated);
});

Deno.test("synthetic: linear follows y = Xw + b + ε, sinc lies on [-10, 10]; both are seeded", () => {
  const t = syntheticTable("linear", 0, "gaussian");
  let worst = 0;
  for (let i = 0; i < t.count; i++) {
    const [x0, x1] = t.features.subarray(2 * i, 2 * i + 2);
    const fit = LINEAR_TRUTH.w[0] * x0 + LINEAR_TRUTH.w[1] * x1 + LINEAR_TRUTH.b;
    worst = Math.max(worst, Math.abs(t.targets[i] - fit));
  }
  // ε ~ N(0, 0.01²): five σ bounds 1,000 draws.
  assert.ok(worst < 0.05 && worst > 0.01, `largest residual ${worst}`);
  assert.deepEqual(syntheticTable("linear", 0, "gaussian"), t);
  assert.notDeepEqual(syntheticTable("linear", 1, "gaussian").targets, t.targets);
  const sinc = syntheticTable("sinc", 0, "gaussian");
  assert.ok(sinc.features.every((x) => x >= -10 && x < 10));
  const outliers = (noise: "gaussian" | "impulse") => {
    const s = syntheticTable("sinc", 0, noise);
    return s.targets.filter((y, i) => Math.abs(y - Math.sin(s.features[i]) / s.features[i]) > 1.5)
      .length;
  };
  assert.equal(outliers("gaussian"), 0);
  assert.ok(outliers("impulse") > 60 && outliers("impulse") < 140, `${outliers("impulse")}`);
});

Deno.test("regression data: split k % 5 == 4 to test, and a task that does not fit the data is refused", async () => {
  const { train, test } = await loadRegressionData(
    "synthetic:linear",
    defaultRegressionSettings,
    0,
  );
  assert.deepEqual([train.count, test.count], [800, 200]);
  const all = syntheticTable("linear", 0, "gaussian");
  assert.deepEqual([...test.labels.subarray(0, 2)], [all.targets[4], all.targets[9]]);
  throwsLine(
    () => checkTaskData({ task: "classification", data: "synthetic:sinc" }),
    UsageError,
    "task: synthetic:sinc holds numeric targets: give --task regression",
  );
  assert.throws(
    () => checkTaskData({ task: "regression", data: "mnist" }),
    (e) => e instanceof UsageError && e.message.startsWith("data: --task regression needs numeric"),
  );
  throwsLine(
    () => checkTaskData({ task: "regression", data: "synthetic:sinc", label: "coarse" }),
    UsageError,
    'label: coarse labels exist only for cifar100:DIR, got --data "synthetic:sinc"',
  );
  await assert.rejects(
    () => loadRegressionData("synthetic:cubic", defaultRegressionSettings, 0),
    (e) => e instanceof UsageError && e.message.includes('got "synthetic:cubic"'),
  );
});
