import assert from "node:assert/strict";
import { CheckpointError } from "../../../core/errors.ts";
import { defaultTrainConfig } from "../../../core/train/config.ts";
import { configFromCheckpoint } from "../../../core/train/saved_config.ts";

Deno.test("configFromCheckpoint fills absent fields with the defaults", () => {
  const config = configFromCheckpoint({ model: "784-32-10", lr: 0.1 }, "c");
  assert.deepEqual(config, { ...defaultTrainConfig, model: "784-32-10", lr: 0.1 });
});

const bad: [Record<string, unknown>, RegExp][] = [
  [{ optimizer: "lion" }, /config\.optimizer: expected one of sgd, .*, found "lion"/],
  [{ activation: "swish" }, /config\.activation: expected one of relu/],
  [{ loss: "l0" }, /config\.loss: expected one of/],
  [{ scheduler: "warp" }, /config\.scheduler: expected one of none, /],
  [{ marginForm: "mean" }, /config\.marginForm: expected one of pytorch, sum, found "mean"/],
  [{ lr: "fast" }, /config\.lr: expected a number, found "fast"/],
  [{ epochs: null }, /config\.epochs: expected a number, found null/],
  [{ augment: [1] }, /config\.augment: expected an object, found \[1\]/],
  [{ batchSize: 0 }, /config\.batchSize: expected an integer >= 1, found 0/],
  [{ epochs: 2.5 }, /config\.epochs: expected an integer >= 1, found 2\.5/],
  [{ seed: -1 }, /config\.seed: expected an integer >= 0, found -1/],
  [{ optimizerArgs: 3 }, /config\.optimizerArgs: expected an object, found 3/],
];
for (const [saved, message] of bad) {
  Deno.test(`configFromCheckpoint refuses ${JSON.stringify(saved)} naming the file`, () => {
    assert.throws(
      () => configFromCheckpoint(saved, "run/checkpoint.safetensors"),
      (e) =>
        e instanceof CheckpointError && e.exitCode === 2 &&
        e.message.startsWith("run/checkpoint.safetensors: __metadata__ ") &&
        message.test(e.message),
    );
  });
}
