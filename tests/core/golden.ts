/**
 * What the golden tests share: reading a committed fixture and the numbers it stores,
 * comparing with them, and registering on each backend of backends.ts the tests that run
 * the fixture's cases.
 *
 * @module
 */

import type { Backend } from "../../mod.ts";
import { assertClose, assertEquals } from "./asserts.ts";
import type { BackendUnderTest, Tolerance } from "./backends.ts";

/** tests/fixtures/`name`, parsed; the caller states what it holds. */
export async function readFixture<T>(name: string): Promise<T> {
  return JSON.parse(
    await Deno.readTextFile(new URL(`../fixtures/${name}`, import.meta.url)),
  ) as T;
}

/** A number as a fixture stores it: non-finite values are "NaN", "Infinity", "-Infinity". */
export type Stored = number | string;

/** A tensor as a fixture stores it. */
export interface StoredTensor {
  shape: number[];
  data: Stored[];
}

/** Stored numbers as numbers. */
export const decode = (data: readonly Stored[]): number[] => data.map(Number);

/**
 * A failure message, or null when `values` match `expected`: where `expected` is NaN or ±∞
 * exactly and finite where it is finite, and within `tol` at its finite elements.
 */
export function compareStored(
  label: string,
  values: ArrayLike<number>,
  expected: readonly number[],
  tol: Tolerance,
): string | null {
  const special = expected.findIndex((e, i) =>
    Number.isFinite(e) ? !Number.isFinite(values[i]) : !Object.is(e, values[i])
  );
  if (special >= 0) {
    return `${label}[${special}]: ours ${values[special]}, torch ${expected[special]}`;
  }
  const finite = expected.flatMap((e, i) => (Number.isFinite(e) ? [i] : []));
  try {
    assertClose(finite.map((i) => values[i]), finite.map((i) => expected[i]), tol.atol, tol.rtol);
  } catch (e) {
    return `${label}: ${(e as Error).message} (finite elements only)`;
  }
  return null;
}

/**
 * The backends that can run here. Each one that cannot gets one ignored test,
 * `<suite> <backend>: skipped (<reason>)`, so the report says why.
 */
export function runnableBackends(
  suite: string,
  backends: readonly BackendUnderTest[],
): BackendUnderTest[] {
  for (const bt of backends) {
    if (bt.create !== null) continue;
    Deno.test({ name: `${suite} ${bt.name}: skipped (${bt.reason})`, ignore: true, fn() {} });
  }
  return backends.filter((bt) => bt.create !== null);
}

/**
 * Registers the test `name`, which runs `fn` on a fresh backend of `bt` and destroys it
 * afterwards; ignored where `bt` cannot run. Deno's resource and op sanitizers run on the
 * CPU backend only.
 */
export function backendTest(
  bt: BackendUnderTest,
  name: string,
  fn: (backend: Backend) => Promise<void>,
): void {
  Deno.test({
    name,
    ignore: bt.create === null,
    sanitizeResources: bt.name === "cpu",
    sanitizeOps: bt.name === "cpu",
    async fn() {
      const backend = await bt.create!();
      try {
        await fn(backend);
      } finally {
        backend.destroy();
      }
    },
  });
}

/**
 * Registers the {@link backendTest} `name`, which runs every case through `run` (its
 * failure messages, empty when it passes) and asserts that none failed, listing them all
 * under the tolerance `tol`. Every case starts before any is awaited, so that read-backs
 * from a GPU overlap instead of each waiting out the map latency: `run` must record all of
 * its backend work and issue its reads before its first `await`, since a case that ends
 * its step releases the step's buffers to the cases still running.
 */
export function casesTest<C>(
  bt: BackendUnderTest,
  name: string,
  cases: readonly C[],
  tol: Tolerance,
  run: (backend: Backend, c: C) => Promise<string[]>,
): void {
  backendTest(bt, name, async (backend) => {
    const failures = (await Promise.all(cases.map((c) => run(backend, c)))).flat();
    assertEquals(failures, [], `atol ${tol.atol}, rtol ${tol.rtol}`);
  });
}
