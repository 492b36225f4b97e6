import assert from "node:assert/strict";
import {
  algorithmSeconds,
  chooseAlgorithm,
  DEFAULT_NETWORK_COST,
  ringSeconds,
  treeSeconds,
} from "../../coordinator/transport/algorithm_choice.ts";

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

Deno.test("the cost of each algorithm takes the links of the network it is given", () => {
  const local = { alphaS: 1e-5, bytesPerS: 1e10 };
  const cross = { alphaS: 1e-3, bytesPerS: 1e8 };
  const network = { local, cross };
  const bytes = 1 << 20;
  // One host: flat algorithms on the local links; several: on the cross-host ones.
  assert.equal(algorithmSeconds("ring", bytes, oneHost(4), network), ringSeconds(bytes, 4, local));
  const spread = ["a", "b", "c", "d"];
  assert.equal(algorithmSeconds("tree", bytes, spread, network), treeSeconds(bytes, 4, cross));
  const paired = ["a", "a", "b", "b"];
  assert.equal(
    algorithmSeconds("hier", bytes, paired, network),
    treeSeconds(bytes, 2, local) + ringSeconds(bytes, 2, cross),
  );
  // The default network is the measured one: loopback within a host, the 1 GbE fit across.
  assert.equal(
    algorithmSeconds("ring", bytes, spread),
    ringSeconds(bytes, 4, DEFAULT_NETWORK_COST.cross),
  );
  assert.equal(chooseAlgorithm("auto", bytes, paired, network), "hier");
  // With the hosts' links as fast as loopback, hier only adds a stage: the flat ring wins.
  assert.equal(chooseAlgorithm("auto", 64 << 20, paired, { local, cross: local }), "ring");
});
