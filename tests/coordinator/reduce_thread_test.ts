import assert from "node:assert/strict";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { BucketPlan, type CollectiveSettings } from "../../coordinator/job/bucket_plan.ts";
import { GradientReducer } from "../../coordinator/job/gradient_reducer.ts";
import { errorFromWire, errorToWire, ReduceThread } from "../../coordinator/job/reduce_thread.ts";
import { MeshError, MeshTimeoutError } from "../../coordinator/transport/errors.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";

const TOKEN = "reduce-thread-test";
const WORLD = 3;
const LENGTH = 2500;

/** Each rank's flat gradient: values whose sum depends on the order of adds. */
const gradients = () =>
  Array.from(
    { length: WORLD },
    (_, r) =>
      Float32Array.from({ length: LENGTH }, (_, i) => Math.sin(i * 7.3 + r) * 10 ** (r - 1)),
  );

/** Each rank's buckets, reduced bucket by bucket through `reducers`. */
async function reduceAll(plan: BucketPlan, reducers: GradientReducer[]): Promise<Float32Array[]> {
  const grads = gradients();
  await Promise.all(reducers.map(async (reducer, r) => {
    for (const b of plan.buckets) {
      const part = grads[r].slice(b.start, b.end);
      await reducer.allReduce(b.id, part, 4);
      grads[r].set(part, b.start);
    }
  }));
  return grads;
}

async function threads(
  plan: BucketPlan,
  link: "native" | "http" = "http",
): Promise<ReduceThread[]> {
  const all = Array.from({ length: plan.world }, () => new ReduceThread());
  const peers = await Promise.all(all.map((t) => t.serve({ token: TOKEN, link })));
  await Promise.all(all.map((t, rank) => t.connect({ rank, peers }, plan)));
  return all;
}

for (
  const [settings, link] of [
    [{ algorithm: "ring" }, "http"],
    [{ algorithm: "tree", gradDtype: "bf16" }, "http"],
    [{ algorithm: "halving" }, "native"],
  ] as [CollectiveSettings, "native" | "http"][]
) {
  Deno.test(
    `sums on all-reduce threads are bitwise those of the main thread (${settings.algorithm}, ${
      settings.gradDtype ?? "fp32"
    }, ${link} link)`,
    async () => {
      const plan = new BucketPlan(LENGTH, WORLD, 1024, 300, [], settings);
      const backend = createCpuBackend();
      const onMain = memoryMesh(WORLD).map((link, rank) =>
        new GradientReducer(link, { rank, plan, backend })
      );
      const expected = await reduceAll(plan, onMain);
      const all = await threads(plan, link);
      try {
        const reducers = all.map((t, rank) => new GradientReducer(t, { rank, plan, backend }));
        const got = await reduceAll(plan, reducers);
        for (let r = 0; r < WORLD; r++) {
          assert.deepEqual(new Uint32Array(got[r].buffer), new Uint32Array(expected[r].buffer));
        }
        const sums = await Promise.all(
          reducers.map((x, r) => x.sumAcross(new Float32Array([r]), 5)),
        );
        assert.deepEqual(sums.map((s) => [...s]), [[3], [3], [3]]);
      } finally {
        await Promise.all(all.map((t) => t.close()));
      }
    },
  );
}

Deno.test("a peer that is not there is named by rank in the error from the thread", async () => {
  const gone = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadUrl = `http://127.0.0.1:${gone.addr.port}`;
  gone.close();
  const plan = new BucketPlan(8, 2, 8, 8);
  const thread = new ReduceThread();
  try {
    const own = await thread.serve({ token: TOKEN });
    await thread.connect({ rank: 0, peers: [own, deadUrl], connectRetryMs: 50 }, plan);
    const error = await thread.allReduce(0, new Float32Array(8), 1, 2000).then(
      () => assert.fail("the reduction should fail"),
      (e) => e,
    );
    assert.ok(error instanceof MeshError, String(error));
    assert.equal(error.rank, 1);
    assert.match(error.message, /^rank 1 \(/);
    assert.equal(thread.peerAddress(1), deadUrl);
  } finally {
    await thread.close();
  }
});

Deno.test("mesh errors cross the thread as the class and message they were thrown with", () => {
  const errors = [
    new MeshTimeoutError(2, "10.0.0.2:4000", 7, 3, 500, "no chunk arrived"),
    new MeshError(1, "h:1", 3, "connection reset"),
    new RangeError("the chunk has 3 floats, expected 4"),
  ];
  for (const error of errors) {
    const back = errorFromWire(structuredClone(errorToWire(error)));
    assert.equal(back.constructor, error.constructor);
    assert.equal(back.message, error.message);
  }
});

Deno.test("a closed thread refuses work instead of hanging", async () => {
  const thread = new ReduceThread();
  await thread.close();
  await assert.rejects(thread.serve({ token: TOKEN }), /closed/);
});
