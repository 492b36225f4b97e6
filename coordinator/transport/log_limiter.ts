/**
 * Log lines that a stranger can provoke at will (a refused connection) must not flood a
 * worker's output: a {@link LogLimiter} passes on the first line of each kind, then at
 * most one per interval, saying how many of that kind it held back meanwhile.
 *
 * @module
 */

/** How often a line of one kind may be repeated by default. */
export const LOG_INTERVAL_MS = 10_000;

/** Lines of each kind at most once per interval. */
export class LogLimiter {
  readonly #log: (line: string) => void;
  readonly #intervalMs: number;
  /** Per kind: when its last line went out, and how many were held back since. */
  readonly #kinds = new Map<string, { at: number; held: number }>();

  /** Passes lines to `log`, each kind at most once per `intervalMs`. */
  constructor(log: (line: string) => void, intervalMs = LOG_INTERVAL_MS) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /**
   * Logs `line` unless a line of `kind` went out less than an interval ago.
   *
   * @example
   * ```ts
   * import { LogLimiter } from "./log_limiter.ts";
   * const lines: string[] = [];
   * const limiter = new LogLimiter((l) => lines.push(l), 1000);
   * for (let i = 0; i < 5; i++) limiter.log("refused", `connection ${i} refused`);
   * lines; // ["connection 0 refused"]; after a second, the next one adds "(and 4 more like it …)"
   * ```
   */
  log(kind: string, line: string): void {
    const now = performance.now();
    const last = this.#kinds.get(kind);
    if (last && now - last.at < this.#intervalMs) {
      last.held++;
      return;
    }
    const held = last?.held ?? 0;
    this.#log(held > 0 ? `${line} (and ${held} more like it since the last such line)` : line);
    this.#kinds.set(kind, { at: now, held: 0 });
  }
}
