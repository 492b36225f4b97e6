import assert from "node:assert/strict";
import { UsageError } from "../../../core/errors.ts";
import { buildModel } from "../../../core/nn/models.ts";
import {
  MAX_PARAMETERS,
  requireMlpWithinCap,
  requireWithinCap,
} from "../../../core/nn/parameter_cap.ts";
import { Rng } from "../../../core/rng.ts";

const spec = { activation: "relu", activationArgs: "", init: "default", initArgs: "", dropout: 0 };
const data = { sampleShape: [1, 28, 28], classes: 10 };

const tooBig: [string, RegExp][] = [
  ["784-300000000-10", /^model: 784-300000000-10 has 238,500,000,010 parameters, more than/],
  ["784-50000-2000-10", /^model: 784-50000-2000-10 has 139,272,010 parameters/],
  ["flatten,linear(100000)", /^model: linear\(100000\) on 784 inputs has 78,500,000 parameters/],
  ["conv(100000,30),flatten,linear(10)", /^model: conv\(100000,30\) on 1 channels has 90,100,000/],
];
for (const [model, message] of tooBig) {
  Deno.test(`${model} is refused before it is allocated`, () => {
    assert.throws(
      () => buildModel({ ...spec, model }, new Rng(0), data),
      (e) => e instanceof UsageError && e.flag === "model" && message.test(e.message),
    );
  });
}

Deno.test("the cap is inclusive: exactly MAX_PARAMETERS passes, one more is refused", () => {
  // 1 input, h hidden, 1 output: 3h + 1 parameters.
  const h = (MAX_PARAMETERS - 1) / 3;
  assert.ok(Number.isInteger(h));
  assert.doesNotThrow(() => requireMlpWithinCap([1, h, 1]));
  assert.doesNotThrow(() => requireWithinCap(MAX_PARAMETERS, "x"));
  assert.throws(() => requireWithinCap(MAX_PARAMETERS + 1, "x"), UsageError);
});
