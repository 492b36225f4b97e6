import assert from "node:assert/strict";
import { closestName, editDistance } from "../../cli/closest_name.ts";
import { flagGroups, type FlagTable, helpText, parseFlags } from "../../cli/flags.ts";
import { trainFlags } from "../../cli/train_flags.ts";
import { wrapText } from "../../cli/wrap_text.ts";
import { UsageError } from "../../core/errors.ts";
import { runCli } from "./run_cli.ts";

const longest = (text: string) => Math.max(...text.split("\n").map((l) => l.length));

Deno.test("wrapText fills lines up to exactly the width and never past it", () => {
  assert.deepEqual(wrapText("aaaa bbbb", 9), ["aaaa bbbb"]);
  assert.deepEqual(wrapText("aaaa bbbb", 8), ["aaaa", "bbbb"]);
  assert.deepEqual(wrapText("aaaa bbbb cc", 7, "  "), ["aaaa", "  bbbb", "  cc"]);
  assert.deepEqual(wrapText("abcdefghij", 4), ["abcd", "efgh", "ij"]);
  assert.deepEqual(wrapText("", 10), [""]);
});

Deno.test("--help of train stays within the width it is given, down to 40 columns", () => {
  for (const width of [40, 57, 80, 100, 140]) {
    const text = helpText("usage: x", trainFlags, width);
    assert.ok(longest(text) <= width, `width ${width}: a line of ${longest(text)}`);
    // Wrapping packs lines: some line comes within a few columns of the limit.
    assert.ok(longest(text) >= width - 6, `width ${width}: longest line ${longest(text)}`);
  }
});

Deno.test("--help groups flags under headings in flagGroups order", () => {
  const text = helpText("usage: x", trainFlags, 100);
  const headings = text.split("\n").filter((l) => /^[A-Z][a-z]+:$/.test(l));
  const expected = flagGroups.filter((g) => Object.values(trainFlags).some((s) => s.group === g));
  assert.deepEqual(headings, expected.map((g) => `${g[0].toUpperCase()}${g.slice(1)}:`));
  for (const [name, spec] of Object.entries(trainFlags)) {
    const section = text.split(/\n\n/).find((s) => new RegExp(`^  --${name}\\b`, "m").test(s))!;
    assert.ok(section.startsWith(`${spec.group[0].toUpperCase()}${spec.group.slice(1)}:`), name);
  }
});

Deno.test("--help prints a long choice list once, under its flag, and no empty defaults", () => {
  const text = helpText("usage: x", trainFlags, 80);
  assert.match(text, /--activation <choice>/);
  assert.equal(text.match(/relu, leaky-relu, elu/g)?.length, 1);
  assert.doesNotMatch(text, /relu\|leaky-relu/);
  assert.match(text, /--clip-norm-type <2\|inf>/);
  assert.doesNotMatch(text, /\(default: (|null|default|false)\)/);
  // A default never splits from its value at a line end.
  assert.match(text, /--epochs <integer> .*\(default: 20\)\n/);
  assert.match(text, /\(default: 0\.0001\)/);
});

Deno.test("negative numbers are values: in range they parse, out of range they fail as such", () => {
  const table: FlagTable = {
    offset: { type: "number", group: "general", help: "x" },
    name: { type: "string", group: "general", help: "x" },
  };
  assert.equal(parseFlags(table, ["--offset", "-1.5"]).values.offset, -1.5);
  assert.equal(parseFlags(table, ["--offset", "-.5"]).values.offset, -0.5);
  assert.equal(parseFlags(table, ["--name", "-3"]).values.name, "-3");
  assert.throws(
    () => parseFlags(trainFlags, ["--seed", "-1"]),
    (e) => e instanceof UsageError && e.message === "--seed: expected an integer >= 0, got -1",
  );
  assert.throws(
    () => parseFlags(trainFlags, ["--lr", "-0.1"]),
    (e) => e instanceof UsageError && e.message === "--lr: expected a number >= 0, got -0.1",
  );
});

Deno.test("an unknown flag names the nearest known one", () => {
  const cases: [string, string][] = [
    ["--epoch", "--epoch: unknown flag (did you mean --epochs?)"],
    ["--bacth-size", "--bacth-size: unknown flag (did you mean --batch-size?)"],
    ["--learning-rate=1", "--learning-rate: unknown flag (see --help)"],
  ];
  for (const [arg, message] of cases) {
    assert.throws(
      () => parseFlags(trainFlags, [arg, "3"]),
      (e) => e instanceof UsageError && e.message === message,
      arg,
    );
  }
  assert.equal(editDistance("epoch", "epochs"), 1);
  assert.equal(editDistance("bacth", "batch"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(closestName("zz", ["lr", "out"]), undefined);
});

Deno.test("train --help, not on a terminal, wraps to 80 columns", async () => {
  const { code, stdout } = await runCli(["train", "--help"]);
  assert.equal(code, 0);
  assert.ok(longest(stdout) <= 80 && longest(stdout) >= 74, `longest line ${longest(stdout)}`);
});
