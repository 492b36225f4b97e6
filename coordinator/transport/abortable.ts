/**
 * Giving up on work that cannot itself be cancelled.
 *
 * @module
 */

/**
 * Settles like `work`, or rejects with the reason of `signal` as soon as it aborts. The
 * work runs on; its later failure is ignored, since nobody waits for it any more.
 *
 * @example
 * ```ts
 * import { abortable } from "./abortable.ts";
 * const stop = new AbortController();
 * const waiting = abortable(new Promise(() => {}), stop.signal);
 * stop.abort(new Error("job aborted"));
 * await waiting.catch((e) => e.message); // "job aborted"
 * ```
 */
export function abortable<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
