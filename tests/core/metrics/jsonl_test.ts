import assert from "node:assert/strict";
import {
  type EpochRecord,
  MetricsLog,
  readMetrics,
  type StepRecord,
} from "../../../core/metrics/jsonl.ts";
import { DataFormatError, OutputError } from "../../../core/errors.ts";
import { inTempDir } from "../../temp_dir.ts";

const step = (n: number, loss = 1 / n): StepRecord => ({
  kind: "step",
  epoch: 1,
  step: n,
  train_loss: loss,
  train_acc: 0.5,
  lr: 0.05,
  samples_per_s: 1000,
  wall_s: n / 10,
});
const epoch: EpochRecord = {
  ...step(4),
  kind: "epoch",
  test_loss: 0.3,
  test_acc: 0.9,
};

Deno.test("MetricsLog writes one JSON object per line and readMetrics reads them back", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path);
    const records = [step(1), step(2), { ...epoch, test_loss: null, test_acc: null }, epoch];
    for (const r of records) await log.write(r);
    await log.close();
    const lines = (await Deno.readTextFile(path)).split("\n");
    assert.equal(lines.length, records.length + 1);
    assert.equal(lines.at(-1), "");
    assert.deepEqual(lines.slice(0, -1).map((l) => JSON.parse(l)), records);
    assert.deepEqual(await readMetrics(path), records);
  }));

Deno.test("MetricsLog buffers step records until an epoch record or close", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path);
    await log.write(step(1));
    await log.write(step(2));
    assert.equal(await Deno.readTextFile(path), "", "step records are buffered");
    await log.write(epoch);
    assert.equal((await readMetrics(path)).length, 3, "an epoch record flushes");
    await log.write(step(5));
    await log.close();
    assert.equal((await readMetrics(path)).length, 4, "close flushes");
  }));

Deno.test("MetricsLog flushes once enough step records accumulate", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path);
    for (let i = 1; i <= 1000; i++) await log.write(step(i));
    const written = (await readMetrics(path)).length;
    assert.ok(written > 0 && written < 1000, `${written} records on disk before close`);
    await log.close();
    assert.equal((await readMetrics(path)).length, 1000);
  }));

Deno.test("MetricsLog truncates by default and appends when resuming", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    for (const [append, n] of [[false, 1], [true, 2], [false, 3]] as const) {
      const log = await MetricsLog.open(path, append);
      await log.write(step(n));
      await log.close();
    }
    assert.deepEqual((await readMetrics(path)).map((r) => r.step), [3]);
    const log = await MetricsLog.open(path, true);
    await log.write(step(4));
    await log.close();
    assert.deepEqual((await readMetrics(path)).map((r) => r.step), [3, 4]);
  }));

Deno.test("non-finite values are written as null with a nonfinite entry and read back exactly", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path);
    await log.write(step(1, NaN));
    await log.write(step(2, Infinity));
    await log.write({ ...epoch, train_loss: -Infinity, test_loss: NaN });
    await log.close();
    const lines = (await Deno.readTextFile(path)).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.train_loss, l.nonfinite]), [
      [null, { train_loss: "NaN" }],
      [null, { train_loss: "Infinity" }],
      [null, { train_loss: "-Infinity", test_loss: "NaN" }],
    ]);
    const records = await readMetrics(path);
    assert.deepEqual(records.map((r) => r.train_loss), [NaN, Infinity, -Infinity]);
    assert.ok(records[2].kind === "epoch" && Number.isNaN(records[2].test_loss));
  }));

Deno.test("readMetrics: a null without a nonfinite entry is NaN; a bad entry names the field", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const line = JSON.stringify({ ...step(1), train_loss: null });
    await Deno.writeTextFile(path, line + "\n");
    assert.ok(Number.isNaN((await readMetrics(path))[0].train_loss));
    await Deno.writeTextFile(path, line.replace("}", ',"nonfinite":{"train_loss":"nan"}}') + "\n");
    await assert.rejects(
      () => readMetrics(path),
      /line 1: expected "nonfinite.train_loss" to be "NaN", "Infinity" or "-Infinity"/,
    );
    await Deno.writeTextFile(path, line.replace("}", ',"nonfinite":"NaN"}') + "\n");
    await assert.rejects(
      () => readMetrics(path),
      /line 1: expected "nonfinite" to be an object, got "NaN"/,
    );
  }));

Deno.test("readMetrics skips blank lines and defaults absent test metrics to null", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const { test_loss: _l, test_acc: _a, ...untested } = epoch;
    await Deno.writeTextFile(path, `\n${JSON.stringify(untested)}\n\n`);
    assert.deepEqual(await readMetrics(path), [{ ...epoch, test_loss: null, test_acc: null }]);
  }));

Deno.test("readMetrics names the file and line of a bad line", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const good = JSON.stringify(step(1));
    const cases: [string, RegExp][] = [
      [good.slice(0, 20), /line 2: not valid JSON/],
      ["[1, 2]", /line 2: expected "kind" to be "step" or "epoch", got nothing/],
      ["42", /line 2: expected a JSON object/],
      [JSON.stringify({ ...step(1), kind: "batch" }), /line 2: .*got "batch"/],
      [
        JSON.stringify({ ...step(1), train_loss: "0.5" }),
        /line 2: expected "train_loss" to be a number or null, got "0.5"/,
      ],
      [JSON.stringify({ ...epoch, test_acc: true }), /line 2: expected "test_acc"/],
      [
        JSON.stringify({ ...step(1), wall_s: undefined }),
        /line 2: expected "wall_s" .* got nothing/,
      ],
    ];
    for (const [bad, pattern] of cases) {
      await Deno.writeTextFile(path, `${good}\n${bad}\n${good}\n`);
      await assert.rejects(
        readMetrics(path),
        (e) =>
          e instanceof DataFormatError && e.file === path && e.message.startsWith(path) &&
          pattern.test(e.message),
        bad,
      );
    }
    await assert.rejects(
      readMetrics(`${dir}/missing.jsonl`),
      (e) =>
        e instanceof DataFormatError &&
        /missing\.jsonl: cannot read metrics: no such file/.test(e.message),
    );
  }));

Deno.test("a metrics file that cannot be written is an OutputError naming it", async () => {
  await assert.rejects(
    () => MetricsLog.open("/nonexistent-dir/metrics.jsonl"),
    (e) =>
      e instanceof OutputError &&
      /^\/nonexistent-dir\/metrics\.jsonl: cannot write/.test(e.message),
  );
  const full = await MetricsLog.open("/dev/full", true); // every write: no space left
  await assert.rejects(
    () => full.write(epoch),
    (e) =>
      e instanceof OutputError && /^\/dev\/full: cannot write metrics: No space/.test(e.message),
  );
  await full.close().catch(() => {});
});

Deno.test("readMetrics reads files written with the old keys loss and accuracy", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const { train_loss, train_acc: _, ...rest } = step(3);
    await Deno.writeTextFile(path, JSON.stringify({ ...rest, loss: train_loss, accuracy: 0.25 }));
    assert.deepEqual(await readMetrics(path), [{ ...rest, train_loss, train_acc: 0.25 }]);
  }));

Deno.test("MetricsLog writes the same records as CSV beside the file, rebuilt when resuming", () =>
  inTempDir(async (dir) => {
    const path = `${dir}/metrics.jsonl`;
    const log = await MetricsLog.open(path);
    await log.write(step(1, NaN));
    await log.write({ ...epoch, test_loss: null, test_acc: null, skipped_steps: 2 });
    await log.write(step(5, Infinity));
    await log.close();
    const header = "kind,epoch,step,train_loss,train_acc,test_loss,test_acc,lr,samples_per_s," +
      "wall_s,skipped_steps,train_entropy,test_entropy,test_mse,test_rmse,test_mae,test_r2," +
      "test_mape,test_mbe";
    const absent = ",".repeat(8); // the entropy and regression columns these records lack
    assert.deepEqual((await Deno.readTextFile(`${dir}/metrics.csv`)).split("\n"), [
      header,
      "step,1,1,nan,0.5,,,0.05,1000,0.1," + absent,
      "epoch,1,4,0.25,0.5,,,0.05,1000,0.4,2" + absent,
      "step,1,5,inf,0.5,,,0.05,1000,0.5," + absent,
      "",
    ]);
    // A resumed run that dropped the last record continues both files in step.
    await Deno.writeTextFile(
      path,
      (await Deno.readTextFile(path)).split("\n").slice(0, 2).join("\n") + "\n",
    );
    const resumed = await MetricsLog.open(path, true);
    await resumed.write(epoch);
    await resumed.close();
    const csv = (await Deno.readTextFile(`${dir}/metrics.csv`)).trim().split("\n");
    assert.equal(csv.length, 1 + (await readMetrics(path)).length);
    assert.equal(csv[0], header);
    assert.equal(csv[3], "epoch,1,4,0.25,0.5,0.3,0.9,0.05,1000,0.4," + absent);
  }));

Deno.test("MetricsLog writes TensorBoard scalars under the record keys", () =>
  inTempDir(async (dir) => {
    const log = await MetricsLog.open(`${dir}/metrics.jsonl`, false, `${dir}/tb`);
    await log.write(step(1));
    await log.write(epoch);
    await log.close();
    const [name] = [...Deno.readDirSync(`${dir}/tb`)].map((e) => e.name);
    const text = new TextDecoder("latin1").decode(await Deno.readFile(`${dir}/tb/${name}`));
    // Each value: field 1 (the tag: 0x0a, length, bytes), then field 2 (0x15, the float).
    const tags = [
      "train_loss",
      "train_acc",
      "lr",
      "samples_per_s",
      "test_loss",
      "test_acc",
      "epoch",
    ];
    const at = tags.map((t) => text.indexOf(`\n${String.fromCharCode(t.length)}${t}\x15`));
    assert.match(text, /brain\.Event:2/);
    assert.ok(at.every((i, k) => i > 0 && (k === 0 || i > at[k - 1])), `${at}`);
  }));
