/**
 * SyncBatchNorm over a real ring all-reduce between in-process ranks: ranks that each hold
 * part of a batch compute what one process computes on the whole batch — outputs, input
 * gradients, the sum of their parameter gradients and the running statistics — on both
 * backends, and a rank without samples still takes its part.
 *
 * @module
 */

import {
  type Backend,
  backward,
  backwardAsync,
  BatchNorm2d,
  bindParameters,
  createCpuBackend,
  mul,
  sum,
  syncBatchNorms,
  syncWithoutSamples,
  type Tensor,
  tensor,
  UsageError,
} from "../../../mod.ts";
import { memoryMesh } from "../../../coordinator/transport/memory_link.ts";
import { ringAllReduce } from "../../../coordinator/transport/ring.ts";
import { assertClose, assertEquals, assertThrows } from "../asserts.ts";
import { backendsUnderTest, describeBackends } from "../backends.ts";

const [C, H, W] = [3, 2, 3];
const PER_SAMPLE = C * H * W;
const ROWS = [3, 2, 0]; // rank 2 has an empty shard
const N = ROWS.reduce((a, b) => a + b);
const inputs = Float32Array.from({ length: N * PER_SAMPLE }, (_, i) => Math.sin(i * 1.3) * 2 + 0.5);
// A fixed weighting of the outputs, so every output's gradient differs.
const weights = Float32Array.from({ length: N * PER_SAMPLE }, (_, i) => Math.cos(i * 0.7));

interface RankResult {
  y: Float32Array;
  xGrad: Float32Array;
  paramGrads: Float32Array;
  runningMean: Float32Array;
  runningVar: Float32Array;
}

/** One BatchNorm2d step on rows `[start, start + rows)`; `layer` decides how it is synced. */
async function step(
  b: Backend,
  start: number,
  rows: number,
  sync: (bn: BatchNorm2d) => void,
  train: (bn: BatchNorm2d, x: Tensor, loss: (y: Tensor) => Tensor) => Promise<Tensor | null>,
): Promise<RankResult> {
  const bn = new BatchNorm2d(C, { momentum: 0.3 });
  bn.weight!.init.set([1.5, -0.5, 2]);
  bn.bias!.init.set([0.1, 0.2, -0.3]);
  const flat = bindParameters(b, bn.namedParameters());
  sync(bn);
  const slice = (a: Float32Array) => a.subarray(start * PER_SAMPLE, (start + rows) * PER_SAMPLE);
  const x = tensor(b, slice(inputs), [rows, C, H, W], true);
  const w = tensor(b, slice(weights), [rows, C, H, W]);
  const y = await train(bn, x, (out) => sum(mul(out, w)));
  return {
    y: y ? await y.toArray() : new Float32Array(),
    xGrad: x.grad ? await x.grad.toArray() : new Float32Array(),
    paramGrads: await b.read(flat.grads),
    runningMean: await bn.runningMean!.read(),
    runningVar: await bn.runningVar!.read(),
  };
}

const backends = await backendsUnderTest();
describeBackends("sync_batch_norm_test", backends);

for (const bt of backends) {
  Deno.test({
    name: `[${bt.name}] SyncBatchNorm: 3 ranks (one empty) compute one process's whole-batch step`,
    ignore: bt.create === null,
    async fn() {
      const whole = await step(await bt.create!(), 0, N, () => {}, (bn, x, loss) => {
        const y = bn.forward(x);
        backward(loss(y));
        return Promise.resolve(y);
      });
      const links = memoryMesh(ROWS.length);
      const ranks = await Promise.all(ROWS.map(async (rows, rank) => {
        const b = await bt.create!();
        const start = ROWS.slice(0, rank).reduce((a, r) => a + r, 0);
        let layers: BatchNorm2d[] = [];
        return await step(
          b,
          start,
          rows,
          (bn) => {
            layers = syncBatchNorms(
              bn,
              (layer, pass, values) =>
                ringAllReduce(links[rank], rank, ROWS.length, values, {
                  step: 1,
                  bucket: 2 * layer + (pass === "backward" ? 1 : 0),
                }),
            ) as BatchNorm2d[];
          },
          async (bn, x, loss) => {
            if (rows === 0) {
              await syncWithoutSamples(layers, b);
              return null;
            }
            const y = await bn.forwardAsync(x);
            await backwardAsync(loss(y));
            return y;
          },
        );
      }));
      const tol = { atol: 2e-5, rtol: 2e-4 };
      let offset = 0;
      ROWS.forEach((rows, rank) => {
        const part = (a: Float32Array) =>
          a.subarray(offset * PER_SAMPLE, (offset + rows) * PER_SAMPLE);
        assertClose(ranks[rank].y, part(whole.y), tol.atol, tol.rtol, `rank ${rank} output`);
        assertClose(ranks[rank].xGrad, part(whole.xGrad), tol.atol, tol.rtol, `rank ${rank} dx`);
        for (const key of ["runningMean", "runningVar"] as const) {
          assertClose(ranks[rank][key], whole[key], tol.atol, tol.rtol, `rank ${rank} ${key}`);
        }
        offset += rows;
      });
      const summed = ranks[0].paramGrads.map((_, i) =>
        ranks.reduce((s, r) => s + r.paramGrads[i], 0)
      );
      assertClose(summed, whole.paramGrads, tol.atol, tol.rtol, "Σ parameter gradients");
    },
  });
}

Deno.test("SyncBatchNorm: backward() refuses the cross-rank op and names backwardAsync", async () => {
  const b = createCpuBackend();
  const bn = new BatchNorm2d(1);
  bindParameters(b, bn.namedParameters());
  syncBatchNorms(bn, () => Promise.resolve());
  const y = await bn.forwardAsync(tensor(b, [1, 2, 3, 4], [1, 1, 2, 2], true));
  assertThrows(() => backward(sum(y)), UsageError, "sync_batch_norm_sums", "backwardAsync");
  assertEquals(y.shape, [1, 1, 2, 2]);
});
