/**
 * Batch norm beyond the PyTorch golden values (tests/core/norm_golden_test.ts): defaults,
 * parameter and buffer names and initial values, bad arguments and inputs, and the
 * `statsReducer` seam — two "ranks" that add each other's per-channel sums normalise their
 * halves of a batch exactly as one process normalises the whole batch.
 *
 * @module
 */

import {
  add,
  type Backend,
  BatchNorm1d,
  BatchNorm2d,
  bindParameters,
  createCpuBackend,
  noGrad,
  reshape,
  ShapeError,
  type StatsReducer,
  sum,
  type Tensor,
  tensor,
  unary,
  UsageError,
} from "../../../mod.ts";
import { assert, assertClose, assertEquals, assertThrows } from "../asserts.ts";

Deno.test("BatchNorm: PyTorch's defaults, names and initial values", async () => {
  const bn = new BatchNorm2d(3);
  assertEquals([bn.eps, bn.momentum, bn.affine, bn.trackRunningStats], [1e-5, 0.1, true, true]);
  assertEquals(bn.namedParameters().map(([n, p]) => [n, Array.from(p.init)]), [
    ["weight", [1, 1, 1]],
    ["bias", [0, 0, 0]],
  ]);
  const buffers = await Promise.all(
    bn.namedBuffers().map(async ([n, b]) => [n, Array.from(await b.read())]),
  );
  assertEquals(buffers, [
    ["running_mean", [0, 0, 0]],
    ["running_var", [1, 1, 1]],
    ["num_batches_tracked", [0]],
  ]);
  const bare = new BatchNorm1d(4, { affine: false, trackRunningStats: false, momentum: null });
  assertEquals(bare.namedParameters().length + bare.namedBuffers().length, 0);
  assertEquals([bare.weight, bare.runningMean, bare.momentum], [null, null, null]);
});

Deno.test("BatchNorm: bad arguments and inputs are refused with what was expected", () => {
  assertThrows(() => new BatchNorm1d(0), UsageError, "BatchNorm1d", "num_features", "0");
  assertThrows(() => new BatchNorm2d(2.5), UsageError, "BatchNorm2d", "num_features");
  assertThrows(() => new BatchNorm2d(2, { eps: -1 }), UsageError, "eps", "-1");
  assertThrows(() => new BatchNorm2d(2, { momentum: 1.5 }), UsageError, "momentum", "1.5");
  const b = createCpuBackend();
  const bn1 = new BatchNorm1d(3);
  const bn2 = new BatchNorm2d(3);
  bindParameters(b, [...bn1.namedParameters(), ...bn2.namedParameters()]);
  const x = (shape: number[]) => tensor(b, new Float32Array(shape.reduce((a, d) => a * d)), shape);
  assertThrows(() => bn1.forward(x([2, 3, 2, 2])), ShapeError, "BatchNorm1d", "2D or 3D", "4D");
  assertThrows(() => bn2.forward(x([2, 3, 4])), ShapeError, "BatchNorm2d", "4D", "[2,3,4]");
  assertThrows(() => bn2.forward(x([2, 4, 1, 1])), ShapeError, "3 channels", "[2,4,1,1]");
  assertThrows(
    () => bn1.forward(x([1, 3])),
    ShapeError,
    "more than 1 value per channel when training",
  );
  bn1.eval();
  assertEquals(bn1.forward(x([1, 3])).shape, [1, 3], "one sample is fine in evaluation");
});

/** Per-channel Σx and Σx² of `[N, C, H, W]` `x` as constants, `[C]` each. */
function channelSums(x: Tensor): { sum: Tensor; sumOfSquares: Tensor } {
  const c = x.shape[1];
  const total = (t: Tensor) => reshape(sum(sum(sum(t, 3), 2), 0), [c]);
  return noGrad(() => ({ sum: total(x), sumOfSquares: total(unary("square", x)) }));
}

Deno.test("BatchNorm: a statsReducer that adds another rank's sums normalises over both", async () => {
  const b: Backend = createCpuBackend();
  const [n, c, h, w] = [6, 2, 3, 3];
  const half = n / 2 * c * h * w;
  const data = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 1.7) * 3 + 1);
  const whole = tensor(b, data, [n, c, h, w]);
  const halves = [0, 1].map((k) =>
    tensor(b, data.subarray(k * half, (k + 1) * half), [n / 2, c, h, w])
  );
  const reference = new BatchNorm2d(c);
  bindParameters(b, reference.namedParameters());
  const expected = await reference.forward(whole).toArray();

  for (const k of [0, 1]) {
    const other = { ...channelSums(halves[1 - k]), count: (n / 2) * h * w };
    const rank = new BatchNorm2d(c);
    bindParameters(b, rank.namedParameters());
    let calls = 0;
    const reducer: StatsReducer = (local) => {
      calls++;
      return Promise.resolve({
        sum: add(local.sum, other.sum),
        sumOfSquares: add(local.sumOfSquares, other.sumOfSquares),
        count: local.count + other.count,
      });
    };
    rank.statsReducer = reducer;
    assertThrows(() => rank.forward(halves[k]), UsageError, "BatchNorm2d", "forwardAsync");
    const y = await (await rank.forwardAsync(halves[k])).toArray();
    assertEquals(calls, 1);
    assertClose(y, expected.subarray(k * half, (k + 1) * half), 2e-5, 1e-4, `rank ${k} output`);
    assertClose(
      await rank.runningVar!.read(),
      await reference.runningVar!.read(),
      1e-6,
      1e-5,
      `rank ${k} running_var`,
    );
    rank.eval();
    await rank.forwardAsync(halves[k]);
    assertEquals(calls, 1, "evaluation uses the running statistics, not the reducer");
  }
  assert(expected.some((v) => v < -1) && expected.some((v) => v > 1), "a spread of outputs");
});
