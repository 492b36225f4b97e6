import assert from "node:assert/strict";
import { chooseAlgorithm } from "../../coordinator/transport/algorithm_choice.ts";

const oneHost = (n: number) => Array<string>(n).fill("a");

Deno.test("auto's tree/ring thresholds on one host are the ones docs/allreduce.md states", () => {
  // ranks → threshold in KiB (rounded), from the table.
  const table: [number, number][] = [[4, 179], [5, 102], [8, 422], [16, 805]];
  for (const [ranks, kib] of table) {
    assert.equal(chooseAlgorithm("auto", (kib - 1) * 1024, oneHost(ranks)), "tree", `${ranks}`);
    assert.equal(chooseAlgorithm("auto", (kib + 1) * 1024, oneHost(ranks)), "ring", `${ranks}`);
  }
  for (const ranks of [1, 2, 3]) assert.equal(chooseAlgorithm("auto", 4, oneHost(ranks)), "ring");
});

Deno.test("an algorithm asked for by name is what runs", () => {
  for (const algorithm of ["ring", "tree", "hier"] as const) {
    assert.equal(chooseAlgorithm(algorithm, 1 << 20, oneHost(4)), algorithm);
  }
});

Deno.test("hier is considered only when some host has several ranks and there are several hosts", () => {
  assert.equal(
    chooseAlgorithm("auto", 16384 * 4, ["a", "a", "b", "b", "c", "c", "d", "d"]),
    "hier",
  );
  assert.notEqual(chooseAlgorithm("auto", 4096, ["a", "b", "c", "d"]), "hier");
  assert.notEqual(chooseAlgorithm("auto", 4096, oneHost(8)), "hier");
});
