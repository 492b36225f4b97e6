/**
 * Job tokens: the shared secret every mesh request carries.
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * Whether `a` and `b` are equal, in time that depends only on their lengths, so that a
 * caller guessing a token learns nothing from how fast a wrong guess is refused.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./token.ts";
 * constantTimeEqual("abc", "abc"); // true
 * constantTimeEqual("abc", "abd"); // false
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * Whether `headers` carry `authorization: Bearer <token>`, compared in constant time.
 *
 * @example
 * ```ts
 * import { hasJobToken } from "./token.ts";
 * hasJobToken(new Headers({ authorization: "Bearer t" }), "t"); // true
 * ```
 */
export function hasJobToken(headers: Pick<Headers, "get">, token: string): boolean {
  return constantTimeEqual(headers.get("authorization") ?? "", `Bearer ${token}`);
}

/**
 * A fresh job token: 32 bytes from the system's cryptographic generator, as 64 hex digits.
 *
 * @example
 * ```ts
 * import { newJobToken } from "./token.ts";
 * const token = newJobToken(); // e.g. "9f86d081884c7d65…"
 * ```
 */
export function newJobToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
