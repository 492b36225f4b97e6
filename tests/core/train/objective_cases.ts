/**
 * What the objective tests share: a golden test per backend of every case's value and input
 * gradient, and the shard property data parallelism relies on.
 *
 * @module
 */

import { backward } from "../../../core/autograd.ts";
import type { Backend } from "../../../core/backend.ts";
import type { Tensor } from "../../../core/tensor.ts";
import { assertClose } from "../asserts.ts";
import type { BackendUnderTest } from "../backends.ts";

/** A golden case: the batch's shape, PyTorch's value and gradient of the objective's input. */
export interface ObjectiveCase {
  readonly shape: [number, number];
  readonly value: number;
  readonly grad: number[];
}

/**
 * One test per backend, named `${what} on <backend>: ${claim}`: each case's objective, as
 * `lossOf` builds it on that backend (returning its input, made with gradient, and the
 * loss), checked against the case's value and gradient at the backend's elementwise
 * tolerance. Every case's read-backs are issued before any is awaited: from a GPU they then
 * wait out one map latency together instead of one each.
 */
export function objectiveGoldenTests<C extends ObjectiveCase>(
  what: string,
  claim: string,
  backends: readonly BackendUnderTest[],
  cases: readonly C[],
  label: (c: C) => string,
  lossOf: (backend: Backend, c: C) => { input: Tensor; loss: Tensor },
): void {
  for (const b of backends) {
    Deno.test({
      name: `${what} on ${b.name}: ${claim}`,
      ignore: !b.create,
      async fn() {
        const backend = await b.create!();
        const { atol, rtol } = b.golden.elementwise;
        const reads = cases.map((c) => {
          const { input, loss } = lossOf(backend, c);
          backward(loss);
          return Promise.all([loss.toArray(), input.grad!.toArray()]);
        });
        for (const [i, [value, grad]] of (await Promise.all(reads)).entries()) {
          const c = cases[i];
          assertClose(value, [c.value], atol, rtol, `${label(c)} value`);
          assertClose(grad, c.grad, atol, rtol, `${label(c)} grad`);
        }
        backend.destroy();
      },
    });
  }
}

/**
 * Asserts, for every case, that the losses of rows [0, 2) and [2, n), each divided by the
 * whole batch `n` as the objective is told, sum to the whole batch's loss; `rowsLoss(c, from,
 * to)` is the loss of rows [from, to).
 */
export async function assertShardsSum<C extends ObjectiveCase>(
  cases: readonly C[],
  label: (c: C) => string,
  rowsLoss: (c: C, from: number, to: number) => Promise<number>,
): Promise<void> {
  for (const c of cases) {
    const n = c.shape[0];
    const split = (await rowsLoss(c, 0, 2)) + (await rowsLoss(c, 2, n));
    assertClose([split], [await rowsLoss(c, 0, n)], 1e-6, 1e-5, label(c));
  }
}
