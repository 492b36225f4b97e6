import assert from "node:assert/strict";
import { MeshError } from "../../coordinator/transport/errors.ts";
import type { ChunkKey, Link } from "../../coordinator/transport/link.ts";
import { memoryMesh } from "../../coordinator/transport/memory_link.ts";

const key = { step: 0, bucket: 0, chunk: 0 };

/** The `length` floats that `from` sent to `link` under `k`. */
async function received(
  link: Link,
  from: number,
  k: ChunkKey,
  length: number,
  signal?: AbortSignal,
) {
  const target = new Float32Array(length);
  await link.recvInto(from, k, target, signal);
  return target;
}

Deno.test("memoryMesh delivers a copy, as a wire would", async () => {
  const [a, b] = memoryMesh(2);
  const data = Float32Array.of(1, 2);
  await a.send(1, key, data);
  data[0] = 99;
  assert.deepEqual(await received(b, 0, key, 2), Float32Array.of(1, 2));
});

Deno.test("memoryMesh injects drops, delays and failures", async () => {
  const [a, b] = memoryMesh(2, {
    fault: (_from, _to, k) =>
      [{ kind: "drop" } as const, { kind: "delay", ms: 20 } as const, { kind: "fail" } as const][
        k.chunk
      ],
  });
  await a.send(1, { ...key, chunk: 0 }, Float32Array.of(0));
  const started = performance.now();
  await a.send(1, { ...key, chunk: 1 }, Float32Array.of(1));
  assert.ok(performance.now() - started >= 15);
  assert.deepEqual(await received(b, 0, { ...key, chunk: 1 }, 1), Float32Array.of(1));
  await assert.rejects(a.send(1, { ...key, chunk: 2 }, Float32Array.of(2)), MeshError);
  await assert.rejects(received(b, 0, { ...key, chunk: 0 }, 1, AbortSignal.timeout(20)));
});

Deno.test("memoryMesh hangs a send to a silent rank until it is aborted", async () => {
  const [a] = memoryMesh(2, { fault: () => ({ kind: "hang" }) });
  await assert.rejects(a.send(1, key, Float32Array.of(1), AbortSignal.timeout(20)));
});

Deno.test("memoryMesh refuses unknown ranks and duplicate chunks", async () => {
  const [a] = memoryMesh(2);
  await assert.rejects(a.send(2, key, Float32Array.of(1)), /no rank 2/);
  await a.send(1, key, Float32Array.of(1));
  await assert.rejects(a.send(1, key, Float32Array.of(1)), /delivered twice/);
});
