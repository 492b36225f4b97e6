/**
 * The few assertions the engine tests need, with no dependency (the tests also run on
 * machines without network access, where a registry import could not be fetched).
 *
 * @module
 */

/** Thrown by a failed assertion. */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

/** Fails with `message` unless `cond` holds. */
export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** Deep equality of JSON-like values (arrays, plain objects, numbers with NaN equal to NaN). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!deepEqual(actual, expected)) {
    const show = (v: unknown) => Deno.inspect(v, { depth: 6, iterableLimit: 50 });
    throw new AssertionError(
      `${message ? message + "\n" : ""}actual:   ${show(actual)}\nexpected: ${show(expected)}`,
    );
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b) || a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    if (!(ArrayBuffer.isView(b) || Array.isArray(b))) return false;
    const x = a as unknown as ArrayLike<unknown>, y = b as unknown as ArrayLike<unknown>;
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!deepEqual(x[i], y[i])) return false;
    return true;
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

/** `|actual − expected| ≤ atol + rtol·|expected|`, elementwise over equal-length arrays. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol: number,
  rtol: number,
  label = "values",
): void {
  assert(
    actual.length === expected.length,
    `${label}: length ${actual.length}, expected ${expected.length}`,
  );
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= atol + rtol * Math.abs(expected[i]))) {
      throw new AssertionError(
        `${label}[${i}]: ${actual[i]}, expected ${expected[i]} (|diff| ${diff}, ` +
          `atol ${atol}, rtol ${rtol})`,
      );
    }
  }
}

/** Calls `fn`, which must throw an instance of `ErrorClass` whose message contains each of `parts`. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  ...parts: string[]
): E {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (!(thrown instanceof ErrorClass)) {
    throw new AssertionError(
      `expected ${ErrorClass.name} to be thrown, got ${thrown === undefined ? "no error" : thrown}`,
    );
  }
  for (const p of parts) {
    assert(thrown.message.includes(p), `message "${thrown.message}" should contain "${p}"`);
  }
  return thrown;
}
