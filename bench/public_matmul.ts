/**
 * The matmul yardstick: `matmul` on two n×n tensors through the public API,
 * `count` products, one read at the end, in GFLOP/s. `deno task bench` reports it; run
 * alone, it measures the tree at `--root DIR` (default this checkout), so a before/after
 * pair can run alternately against an older checkout of the repository:
 *
 * ```sh
 * git archive 39e8f01 | tar -x -C /tmp/before
 * deno run -A bench/public_matmul.ts --root /tmp/before
 * deno run -A bench/public_matmul.ts
 * ```
 *
 * @module
 */

import type { Backend } from "../core/backend.ts";
import { Rng } from "../core/rng.ts";

/** The parts of mod.ts the measurement uses. */
interface PublicApi {
  matmul(a: unknown, b: unknown): { toArray(): Promise<Float32Array> };
  tensor(backend: Backend, data: Float32Array, shape: number[]): unknown;
}

/** GFLOP/s of `count` products of n³ through `api`'s `matmul`, one read at the end. */
export async function publicMatmul(
  api: PublicApi,
  backend: Backend,
  n: number,
  count: number,
): Promise<number> {
  const rng = new Rng(2);
  const random = () => Float32Array.from({ length: n * n }, () => rng.uniform());
  const a = api.tensor(backend, random(), [n, n]);
  const b = api.tensor(backend, random(), [n, n]);
  await api.matmul(a, b).toArray();
  backend.endStep();
  const t0 = performance.now();
  let c = api.matmul(a, b);
  for (let i = 1; i < count; i++) c = api.matmul(a, b);
  await c.toArray();
  const s = (performance.now() - t0) / 1000;
  backend.endStep();
  return (count * 2 * n ** 3) / s / 1e9;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--root");
  const root = at >= 0
    ? new URL(`file://${Deno.realPathSync(Deno.args[at + 1])}/`)
    : new URL("../", import.meta.url);
  const api = await import(new URL("mod.ts", root).href) as PublicApi;
  const gpu = await import(new URL("gpu/backend.ts", root).href) as {
    createWebGpuBackend(): Promise<Backend>;
  };
  const backend = await gpu.createWebGpuBackend();
  const gflops = await publicMatmul(api, backend, 1024, 20);
  console.log(
    `${root.pathname}: matmul 1024³ ×20, one read: ${gflops.toFixed(2)} GFLOP/s ` +
      `(load ${Deno.loadavg()[0].toFixed(2)})`,
  );
}
