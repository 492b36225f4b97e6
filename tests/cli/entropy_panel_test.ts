import assert from "node:assert/strict";
import { entropyPanels } from "../../cli/entropy_panel.ts";
import type { EpochRecord } from "../../core/metrics/jsonl.ts";

const epoch = (e: number, extra: Partial<EpochRecord>): EpochRecord => ({
  kind: "epoch",
  epoch: e,
  step: 10 * e,
  train_loss: 1 / e,
  train_acc: 0.9,
  lr: 0.1,
  samples_per_s: 1e4,
  wall_s: e,
  test_loss: null,
  test_acc: null,
  ...extra,
});

Deno.test("entropyPanels: train solid and test dashed per epoch; none without entropy", () => {
  const records = [
    epoch(1, { train_entropy: 1.5, test_entropy: null }),
    epoch(2, { train_entropy: 1.0, test_entropy: 0.8 }),
  ];
  const [panel, ...rest] = entropyPanels([{ name: "a", color: "#111", records }]);
  assert.equal(rest.length, 0);
  assert.equal(panel.yLabel, "entropy (bits)");
  assert.deepEqual(panel.series.map((s) => [s.label, s.dashed ?? false, s.points]), [
    ["a train entropy", false, [[1, 1.5], [2, 1.0]]],
    ["a test entropy", true, [[2, 0.8]]],
  ]);
  assert.deepEqual(entropyPanels([{ name: "old", color: "#111", records: [epoch(1, {})] }]), []);
});
