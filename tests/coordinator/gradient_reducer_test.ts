import assert from "node:assert/strict";
import type { Backend } from "../../core/backend.ts";
import { createCpuBackend } from "../../core/cpu/backend.ts";
import { buildTrainer, defaultTrainConfig } from "../../core/train/config.ts";
import type { GradientReducer } from "../../core/train/trainer.ts";
import { BucketPlan } from "../../coordinator/job/bucket_plan.ts";
import { GradientReducer as MeshReducer } from "../../coordinator/job/gradient_reducer.ts";
import type { ChunkKey, Link } from "../../coordinator/transport/link.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";

const config = { ...defaultTrainConfig, model: "12-8-6-4" };

/** A CPU backend that counts the layers whose backward has run. */
function countingBackend(): { backend: Backend; layersDone: () => number } {
  const cpu = createCpuBackend();
  let done = 0;
  const backend = Object.create(cpu) as Backend;
  backend.linearBackward = (...args) => {
    done++;
    return cpu.linearBackward(...args);
  };
  return { backend, layersDone: () => done };
}

function batch(rows: number) {
  const x = Float32Array.from({ length: rows * 12 }, (_, i) => Math.sin(i));
  const y = Float32Array.from({ length: rows }, (_, i) => i % 4);
  return { x, y, rows };
}

Deno.test("backward reports each parameter's gradient as soon as it is final, last layer first", async () => {
  const { backend, layersDone } = countingBackend();
  const trainer = buildTrainer(config, backend);
  const nameAt = new Map(trainer.flat.slots.map((s) => [s.offset, s.name]));
  const events: string[] = [];
  const reduce: GradientReducer = () => ({
    ready: (offset) => events.push(`${nameAt.get(offset)} after ${layersDone()}`),
    finish: () => {
      events.push(`finish after ${layersDone()}`);
      return Promise.resolve();
    },
  });
  await trainer.step(batch(5), 5, reduce);
  assert.deepEqual(events, [
    "4.bias after 1",
    "4.weight after 1",
    "2.bias after 2",
    "2.weight after 2",
    "0.bias after 3",
    "0.weight after 3",
    "finish after 3",
  ]);
});

/** A link that records the bucket of every chunk it sends. */
function recordingLink(link: Link, sent: number[]): Link {
  return Object.assign(Object.create(link) as Link, {
    send: (to: number, key: ChunkKey, data: Float32Array<ArrayBuffer>, signal?: AbortSignal) => {
      sent.push(key.bucket);
      return link.send(to, key, data, signal);
    },
  });
}

Deno.test("a bucket starts its all-reduce once all its parameters are ready, the rest at finish", async () => {
  const world = 2;
  // Three parameters of 64 floats, one per 64-float bucket: bucket 0 holds the last.
  const slots = [0, 64, 128].map((offset) => ({ offset, size: 64 }));
  const plan = new BucketPlan(192, world, 64);
  const sent: number[][] = [[], []];
  const ranks = memoryMesh(world).map((link, rank) => {
    const backend = createCpuBackend();
    const reducer = new MeshReducer(recordingLink(link, sent[rank]), { rank, plan, backend });
    const grads = backend.upload(Float32Array.from({ length: 192 }, (_, i) => i * (rank + 1)));
    return { backend, grads, sync: reducer.reduceGradients(grads, slots as never) };
  });
  for (const { sync } of ranks) sync.ready(128, 64);
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const buckets of sent) assert.deepEqual(new Set(buckets), new Set([0]));
  await Promise.all(ranks.map(({ sync }) => sync.finish()));
  for (const buckets of sent) assert.deepEqual(new Set(buckets), new Set([0, 1, 2]));
  for (const { backend, grads } of ranks) {
    const sum = await backend.read(grads);
    assert.deepEqual(sum, Float32Array.from({ length: 192 }, (_, i) => i * 3));
  }
});

Deno.test("a bucket plan that cuts inside the backend's view alignment is refused", () => {
  const backend = { ...createCpuBackend(), name: "webgpu", viewAlignment: 64 } as Backend;
  const [link] = memoryMesh(1);
  assert.throws(
    () => new MeshReducer(link, { rank: 0, plan: new BucketPlan(128, 2, 100), backend }),
    /bucket 0 starts at float 28, which is not a multiple of the webgpu backend's view alignment 64/,
  );
});
