/**
 * Loss edge cases beyond the golden cases: every target ignored, logits of ±1e4, and the
 * errors that wrong shapes and arguments raise. Expected values are PyTorch 1.13's
 * (`F.cross_entropy` / `F.mse_loss`, float64), written out literally.
 *
 * @module
 */

import { assert, assertClose, assertEquals, assertThrows } from "./asserts.ts";
import {
  add,
  backward,
  createCpuBackend,
  crossEntropy,
  type CrossEntropyOptions,
  gather,
  linear,
  logSoftmax,
  matmul,
  mseLoss,
  type Reduction,
  reshape,
  ShapeError,
  softmax,
  sum,
  type Tensor,
  tensor,
  UsageError,
} from "../../mod.ts";

const b = createCpuBackend();
const logits12 = () => tensor(b, Array.from({ length: 12 }, (_, i) => i + 1), [3, 4], true);

async function lossAndGrad(x: Tensor, loss: Tensor) {
  backward(sum(loss));
  return { loss: await loss.toArray(), grad: await x.grad!.toArray() };
}

Deno.test("crossEntropy: every target ignored, mean gives NaN and zero gradients like torch", async () => {
  // torch 1.13: F.cross_entropy(x, t, ignore_index=i) with every t == i returns nan (0/0)
  // and x.grad all zeros, with or without class weights.
  for (const ignoreIndex of [-100, 1]) {
    for (const weight of [null, tensor(b, [1, 2, 3, 4], [4])]) {
      const x = logits12();
      const t = tensor(b, [ignoreIndex, ignoreIndex, ignoreIndex], [3]);
      const { loss, grad } = await lossAndGrad(x, crossEntropy(x, t, { ignoreIndex, weight }));
      assert(Number.isNaN(loss[0]), `ignore ${ignoreIndex}: loss ${loss[0]}, torch gives nan`);
      assertEquals(grad, new Float32Array(12), `ignore ${ignoreIndex}: gradient`);
    }
  }
});

Deno.test("crossEntropy: every target ignored, sum gives 0 and none gives zeros", async () => {
  for (const reduction of ["sum", "none"] as Reduction[]) {
    for (const labelSmoothing of [0, 0.1]) {
      const x = logits12();
      const t = tensor(b, [-100, -100, -100], [3]);
      const { loss, grad } = await lossAndGrad(
        x,
        crossEntropy(x, t, { reduction, labelSmoothing }),
      );
      assertEquals(loss, new Float32Array(reduction === "sum" ? 1 : 3), `${reduction} loss`);
      assertEquals(grad, new Float32Array(12), `${reduction} gradient`);
    }
  }
});

Deno.test({
  name: "crossEntropy: every target ignored with label smoothing, mean: zero gradients like torch",
  // The mean's 1/Σw is ∞ here: masking by multiplication would give ∞·0 = NaN gradients.
  async fn() {
    for (const ignoreIndex of [-100, 1]) {
      const x = logits12();
      const t = tensor(b, [ignoreIndex, ignoreIndex, ignoreIndex], [3]);
      const options: CrossEntropyOptions = { ignoreIndex, labelSmoothing: 0.1 };
      const { loss, grad } = await lossAndGrad(x, crossEntropy(x, t, options));
      assert(Number.isNaN(loss[0]), `loss ${loss[0]}, torch gives nan`);
      assertEquals(grad, new Float32Array(12), "gradient");
    }
  },
});

Deno.test("crossEntropy: logits of ±1e4 give torch's finite losses and gradients", async () => {
  const data = [1e4, -1e4, 0, -1e4, 1e4, 0, 3, -1e4, 1e4];
  const targets = [1, 1, 0];
  // torch 1.13, float64: F.cross_entropy(x, t, reduction=…, label_smoothing=…), then
  // x.grad of loss.sum().
  const third = 1 / 3;
  const expected: [Reduction, number, number[], number[]][] = [
    ["mean", 0, [9999], [third, -third, 0, 0, 0, 0, -third, 0, third]],
    ["sum", 0, [29997], [1, -1, 0, 0, 0, 0, -1, 0, 1]],
    ["none", 0, [20000, 0, 9997], [1, -1, 0, 0, 0, 0, -1, 0, 1]],
    ["mean", 0.1, [9999.066666666668], [
      0.32222222222222224,
      -0.3111111111111111,
      -0.011111111111111112,
      -0.011111111111111112,
      0.022222222222222254,
      -0.011111111111111112,
      -0.3111111111111111,
      -0.011111111111111112,
      0.32222222222222224,
    ]],
    ["none", 0.1, [19000, 1000, 9997.2], [
      0.9666666666666667,
      -0.9333333333333333,
      -0.03333333333333333,
      -0.03333333333333333,
      0.06666666666666665,
      -0.03333333333333333,
      -0.9333333333333333,
      -0.03333333333333333,
      0.9666666666666667,
    ]],
  ];
  for (const [reduction, labelSmoothing, loss, grad] of expected) {
    const x = tensor(b, data, [3, 3], true);
    const ce = crossEntropy(x, tensor(b, targets, [3]), { reduction, labelSmoothing });
    const got = await lossAndGrad(x, ce);
    const label = `${reduction} ls=${labelSmoothing}`;
    assert(
      got.loss.every(Number.isFinite) && got.grad.every(Number.isFinite),
      `${label}: not finite`,
    );
    // float32 spacing at 2e4 is 2e-3: a relative tolerance of 1e-6 is ~10 ULPs.
    assertClose(got.loss, loss, 1e-6, 1e-6, `${label} loss`);
    assertClose(got.grad, grad, 1e-6, 1e-5, `${label} gradient`);
  }
  // The pieces stay finite too: softmax saturates to exactly 0 and 1.
  const x = tensor(b, [1e4, -1e4, 0], [1, 3]);
  assertEquals(await softmax(x).toArray(), new Float32Array([1, 0, 0]));
  assertEquals(await logSoftmax(x).toArray(), new Float32Array([0, -2e4, -1e4]));
});

Deno.test("mseLoss: each reduction on a hand-computed case", async () => {
  const x = tensor(b, [1, 2, 3, 4], [2, 2], true);
  const y = tensor(b, [0, 2, 5, 3], [2, 2]);
  // (x − y)² = [1, 0, 4, 1]; gradients 2(x − y)/n for mean.
  const cases: [Reduction, number[], number[]][] = [
    ["none", [1, 0, 4, 1], [2, 0, -4, 2]],
    ["sum", [6], [2, 0, -4, 2]],
    ["mean", [1.5], [0.5, 0, -1, 0.5]],
  ];
  for (const [reduction, loss, grad] of cases) {
    x.grad = null;
    const l = mseLoss(x, y, reduction);
    assertEquals(l.shape, reduction === "none" ? [2, 2] : []);
    const got = await lossAndGrad(x, l);
    assertEquals(got.loss, new Float32Array(loss), `${reduction} loss`);
    assertEquals(got.grad, new Float32Array(grad), `${reduction} gradient`);
  }
});

Deno.test("losses: reduction none keeps [N], mean and sum give a scalar", () => {
  const x = tensor(b, new Float32Array(10), [5, 2]);
  const t = tensor(b, [0, 1, 0, 1, 0], [5]);
  assertEquals(crossEntropy(x, t, { reduction: "none" }).shape, [5]);
  assertEquals(crossEntropy(x, t, { reduction: "mean" }).shape, []);
  assertEquals(crossEntropy(x, t, { reduction: "sum" }).shape, []);
});

Deno.test("shape errors name the op and the shapes", () => {
  const t = (shape: number[]) =>
    tensor(b, new Float32Array(shape.reduce((a, c) => a * c, 1)), shape);
  const expectShapeError = (fn: () => unknown, op: string, ...parts: string[]) => {
    const e = assertThrows(fn, ShapeError, `${op}:`, ...parts);
    assertEquals(e.op, op);
  };
  expectShapeError(() => crossEntropy(t([2, 3, 4]), t([2])), "crossEntropy", "[N, C]", "[2,3,4]");
  expectShapeError(() => crossEntropy(t([2, 5]), t([3])), "crossEntropy", "[2,5]", "[3]");
  expectShapeError(
    () => crossEntropy(t([2, 5]), t([2]), { weight: t([4]) }),
    "crossEntropy",
    "weight must be [5], got [4]",
  );
  expectShapeError(() => mseLoss(t([2, 3]), t([3, 2])), "mseLoss", "[2,3]", "[3,2]");
  expectShapeError(() => matmul(t([2, 3]), t([4, 5])), "matmul", "[2,3]", "[4,5]");
  expectShapeError(() => matmul(t([2, 3]), t([2, 5]), true, true), "matmul", "transA=true");
  expectShapeError(() => linear(t([2, 3]), t([4, 5]), null), "linear", "[2,3]", "[4,5]");
  expectShapeError(() => linear(t([2, 3]), t([4, 3]), t([5])), "linear", "[5]");
  expectShapeError(() => gather(t([2, 3]), t([3])), "gather", "[2,3]", "[3]");
  expectShapeError(() => add(t([3, 4]), t([5])), "add", "cannot broadcast [3,4] with [5]");
  expectShapeError(() => reshape(t([2, 3]), [4]), "reshape", "[2,3]", "[4]");
  expectShapeError(() => sum(t([2, 3]), 2), "reduce", "axis 2", "[2,3]");
  expectShapeError(() => backward(t([2, 3])), "backward", "[2,3]");
});

Deno.test("an unknown reduction is a usage error naming the argument", () => {
  const x = tensor(b, [1, 2], [2]);
  const e = assertThrows(
    () => mseLoss(x, x, "avg" as Reduction),
    UsageError,
    "reduction",
    "none, mean or sum",
    "avg",
  );
  assertEquals([e.flag, e.exitCode], ["reduction", 2]);
});
