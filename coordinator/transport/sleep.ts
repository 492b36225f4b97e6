/**
 * An abortable timer, so that waits inside a collective end as soon as the collective
 * gives up.
 *
 * @module
 */

/**
 * Resolves after `ms` milliseconds, or rejects with the reason of `signal` when it aborts
 * first.
 *
 * @example
 * ```ts
 * import { sleep } from "./sleep.ts";
 * await sleep(5, AbortSignal.timeout(1000));
 * ```
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
